// What `internvl serve` reports on GET /metrics, in Prometheus' text format: requests running and waiting, KV
// cache usage, token counters, time-to-first-token and latency histograms, errors by status.

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

class Histogram {
  private readonly counts = BUCKETS.map(() => 0);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    BUCKETS.forEach((b, i) => seconds <= b && this.counts[i]!++);
    this.sum += seconds;
    this.count++;
  }

  lines(name: string): string[] {
    return [
      ...BUCKETS.map((b, i) => `${name}_bucket{le="${b}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    ];
  }
}

export interface CacheUsage {
  readonly usedBlocks: number;
  readonly cachedBlocks: number;
  readonly totalBlocks: number;
}

export interface FeatureCacheCounters {
  readonly hits: number;
  readonly misses: number;
  readonly bytes: number;
}

export function serverMetrics() {
  let running = 0;
  let waiting = 0;
  let promptTokens = 0;
  let cachedPromptTokens = 0;
  let generationTokens = 0;
  let requests = 0;
  let cancelled = 0;
  const errors = new Map<number, number>();
  const ttft = new Histogram();
  const latency = new Histogram();
  return {
    get waiting() {
      return waiting;
    },
    get running() {
      return running;
    },
    get cancelled() {
      return cancelled;
    },
    /** A client went away before its answer was complete. */
    cancel() {
      cancelled++;
    },
    /** A request accepted into the model's queue; returns its callbacks for the first token and the end. */
    start() {
      const t0 = performance.now();
      waiting++;
      requests++;
      let phase: 'waiting' | 'running' | 'done' = 'waiting';
      return {
        firstToken() {
          if (phase !== 'waiting') return;
          (phase = 'running'), waiting--, running++;
          ttft.observe((performance.now() - t0) / 1000);
        },
        end(usage?: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens: number } }) {
          if (phase === 'done') return;
          if (phase === 'waiting') waiting--;
          else running--;
          phase = 'done';
          latency.observe((performance.now() - t0) / 1000);
          if (usage) (promptTokens += usage.prompt_tokens), (generationTokens += usage.completion_tokens), (cachedPromptTokens += usage.prompt_tokens_details?.cached_tokens ?? 0);
        },
      };
    },
    error(status: number) {
      errors.set(status, (errors.get(status) ?? 0) + 1);
    },
    text(cache: CacheUsage | undefined, features: FeatureCacheCounters | undefined): string {
      const lines = [
        '# TYPE internvl_requests_running gauge',
        `internvl_requests_running ${running}`,
        '# TYPE internvl_requests_waiting gauge',
        `internvl_requests_waiting ${waiting}`,
        '# TYPE internvl_kv_cache_usage_ratio gauge',
        `internvl_kv_cache_usage_ratio ${cache ? cache.usedBlocks / cache.totalBlocks : 0}`,
        '# TYPE internvl_kv_cache_blocks_used gauge',
        `internvl_kv_cache_blocks_used ${cache?.usedBlocks ?? 0}`,
        '# TYPE internvl_prefix_cache_blocks gauge',
        `internvl_prefix_cache_blocks ${cache?.cachedBlocks ?? 0}`,
        '# TYPE internvl_prefix_cache_hit_ratio gauge',
        `internvl_prefix_cache_hit_ratio ${promptTokens ? cachedPromptTokens / promptTokens : 0}`,
        '# TYPE internvl_prompt_tokens_cached_total counter',
        `internvl_prompt_tokens_cached_total ${cachedPromptTokens}`,
        '# TYPE internvl_image_feature_cache_hits_total counter',
        `internvl_image_feature_cache_hits_total ${features?.hits ?? 0}`,
        '# TYPE internvl_image_feature_cache_misses_total counter',
        `internvl_image_feature_cache_misses_total ${features?.misses ?? 0}`,
        '# TYPE internvl_image_feature_cache_bytes gauge',
        `internvl_image_feature_cache_bytes ${features?.bytes ?? 0}`,
        '# TYPE internvl_requests_total counter',
        `internvl_requests_total ${requests}`,
        '# TYPE internvl_requests_cancelled_total counter',
        `internvl_requests_cancelled_total ${cancelled}`,
        '# TYPE internvl_prompt_tokens_total counter',
        `internvl_prompt_tokens_total ${promptTokens}`,
        '# TYPE internvl_generation_tokens_total counter',
        `internvl_generation_tokens_total ${generationTokens}`,
        '# TYPE internvl_time_to_first_token_seconds histogram',
        ...ttft.lines('internvl_time_to_first_token_seconds'),
        '# TYPE internvl_request_latency_seconds histogram',
        ...latency.lines('internvl_request_latency_seconds'),
        '# TYPE internvl_request_errors_total counter',
        ...[...errors].map(([status, n]) => `internvl_request_errors_total{status="${status}"} ${n}`),
      ];
      return lines.join('\n') + '\n';
    },
  };
}

export type ServerMetrics = ReturnType<typeof serverMetrics>;
