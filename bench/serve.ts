// npm run bench:serve -- --model DIR [--clients 1,4,16] [--requests-per-client 2] [--max-tokens 32] [--max-batch N] [--json]
// `internvl serve` over HTTP on 127.0.0.1 with N concurrent streaming clients (N = 1, 4, 16 by default), in one
// run: aggregate decode tokens/s, time to first token p50/p95, and the ratio of aggregate throughput at the
// largest N to N = 1 — the figure continuous batching raises (a decode step reads each weight once for all
// sequences). Aggregate tok/s is completion tokens over the wall time of the round (prefills included); decode-phase
// tok/s is the tokens after the first over the time from the first first-token to the last end. --max-batch 1
// decodes one sequence at a time (as before continuous batching), for a same-machine comparison. JSON lines with
// --json; progress on stderr.
import { describeProfile } from '../runtime/device_profile.js';
import { InternVL } from '../tools/node/internvl.js';
import { startServer } from '../tools/node/server.js';

const argv = process.argv.slice(2);
const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const modelDir = flag('--model');
if (!modelDir) {
  console.error('usage: npm run bench:serve -- --model DIR [--clients 1,4,16] [--requests-per-client 2] [--max-tokens 32] [--json]');
  process.exit(2);
}
const clients = (flag('--clients') ?? '1,4,16').split(',').map(Number);
const perClient = Number(flag('--requests-per-client') ?? 2);
const maxTokens = Number(flag('--max-tokens') ?? 32);
const json = argv.includes('--json');
const maxBatch = Number(flag('--max-batch') ?? Math.max(...clients));
const log = (s: string) => console.error(`[bench:serve] ${s}`);

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

/** One streamed completion: time to the first content and the completion tokens (from the usage chunk). */
async function request(url: string, question: string): Promise<{ ttftMs: number; tokens: number; firstAt: number; endAt: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: question }], max_tokens: maxTokens, stream: true, stream_options: { include_usage: true } }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttftMs = 0;
  let tokens = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(bytes, { stream: true });
    const events = buffered.split('\n\n');
    buffered = events.pop()!;
    for (const event of events) {
      const data = event.replace(/^data: /, '');
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as { choices: { delta: { content?: string } }[]; usage?: { completion_tokens: number } | null };
      if (!ttftMs && chunk.choices[0]?.delta.content) ttftMs = performance.now() - t0;
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  }
  return { ttftMs, tokens, firstAt: t0 + ttftMs, endAt: performance.now() };
}

const server = await startServer(() => InternVL.load(modelDir, { maxContext: 1024, maxBatch }), { port: 0, modelName: 'bench', maxQueue: 1024 });
const model = await server.ready;
const profile = describeProfile(model.model.gpu.profile);
log(`model ${modelDir} on ${model.model.gpu.adapterName}; ${profile}; max batch ${maxBatch}`);
await request(server.url, 'Warm-up.'); // compiles the batch-1 graphs

const rows: { clients: number; tokensPerS: number; decodeTokensPerS: number; ttftP50: number; ttftP95: number; requests: number }[] = [];
for (const n of clients) {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      const out = [];
      for (let r = 0; r < perClient; r++) out.push(await request(server.url, `Client ${c}, request ${r}: tell me a story about the number ${c * 31 + r}.`));
      return out;
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const all = results.flat();
  const tokens = all.reduce((a, r) => a + r.tokens, 0);
  const ttfts = all.map((r) => r.ttftMs);
  const decodeSeconds = (Math.max(...all.map((r) => r.endAt)) - Math.min(...all.map((r) => r.firstAt))) / 1000;
  const decodeTokensPerS = all.reduce((a, r) => a + Math.max(0, r.tokens - 1), 0) / decodeSeconds;
  rows.push({ clients: n, tokensPerS: tokens / seconds, decodeTokensPerS, ttftP50: percentile(ttfts, 50), ttftP95: percentile(ttfts, 95), requests: all.length });
  log(`${n} clients: ${(tokens / seconds).toFixed(2)} tok/s aggregate, TTFT p50 ${percentile(ttfts, 50).toFixed(0)} ms`);
}
await server.close();

const base = rows.find((r) => r.clients === 1)?.tokensPerS;
if (json) {
  for (const r of rows) {
    const common = { bench: 'serve', clients: r.clients, max_batch: maxBatch, profile, adapter: model.model.gpu.adapterName };
    console.log(JSON.stringify({ ...common, metric: 'aggregate_tokens_per_s', value: r.tokensPerS }));
    console.log(JSON.stringify({ ...common, metric: 'decode_phase_tokens_per_s', value: r.decodeTokensPerS }));
    console.log(JSON.stringify({ ...common, metric: 'ttft_p50_ms', value: r.ttftP50 }));
    console.log(JSON.stringify({ ...common, metric: 'ttft_p95_ms', value: r.ttftP95 }));
  }
  const top = rows.at(-1)!;
  if (base) console.log(JSON.stringify({ bench: 'serve', metric: `throughput_ratio_${top.clients}_to_1`, value: top.tokensPerS / base, profile }));
} else {
  console.log(`| clients (max batch ${maxBatch}) | requests | aggregate tok/s | decode-phase tok/s | TTFT p50 ms | TTFT p95 ms | aggregate vs 1 client |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.clients} | ${r.requests} | ${r.tokensPerS.toFixed(2)} | ${r.decodeTokensPerS.toFixed(2)} | ${r.ttftP50.toFixed(0)} | ${r.ttftP95.toFixed(0)} | ${base ? (r.tokensPerS / base).toFixed(2) : '–'}× |`);
}
