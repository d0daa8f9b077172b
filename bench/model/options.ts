// Command-line options of `npm run bench` and their defaults. The defaults are sized for lavapipe on a 2-core
// machine (the whole run in about 10–15 minutes); `--full` selects the llama-bench-sized workloads.
export interface BenchOptions {
  /** Model directory; undefined → the full-size synthetic checkpoint (test/fixtures.ts checkpointDir('full', 1)). */
  model?: string;
  /** TTFT workloads: one image of T tiles each. The largest also sets the big ViT batch. */
  tiles: number[];
  /** pp<N>: prefill of N random text tokens. */
  promptTokens: number;
  /** tg<N>: N decode steps after a 1-token prompt. */
  newTokens: number;
  /** Timed repetitions after one warm-up. */
  reps: number;
  warmup: number;
  json: boolean;
  torch: boolean;
  /** PyTorch dtypes to run (f32, bf16). */
  torchDtypes: string[];
  torchThreads: number;
  /** Append to bench/results.jsonl, bench/RESULTS.md and rewrite bench/ratios.svg. */
  write: boolean;
  /** Where results are written (default: bench/). */
  outDir?: string;
  /** Smart wait on/off comparison (decode and ViT). */
  smartWaitCompare: boolean;
  question: string;
  /**
   * ViT layers actually run for the per-tile figures (the layers' time is then scaled to all layers, the embeddings
   * timed on their own and counted once; every layer costs the
   * same). Undefined → all layers on a hardware adapter, 2 on a software one (lavapipe: one full tile
   * takes minutes). TTFT is then skipped unless --tiles is given explicitly (it always runs the whole model).
   */
  vitLayers?: number;
  /** --tiles was given explicitly. */
  tilesGiven?: boolean;
  /** Write the workload (token ids etc.) that the PyTorch side runs to this file (bench/gpu/run.sh). */
  workloadOut?: string;
  /** Quantize our language model while loading (PyTorch still runs the bf16 checkpoint in f32/bf16). */
  quant?: 'q4' | 'q8';
  /** How our KV cache stores keys and values (default f32). */
  kvCache?: 'f32' | 'f16';
}

export const SOFTWARE_VIT_LAYERS = 2;

export const DEFAULTS: BenchOptions = {
  tiles: [1],
  promptTokens: 128,
  newTokens: 32,
  reps: 2,
  warmup: 1,
  json: false,
  torch: true,
  torchDtypes: ['f32', 'bf16'],
  torchThreads: 2,
  write: true,
  smartWaitCompare: true,
  question: 'Please describe the image shortly.',
};

/** llama-bench's pp512 / tg128 and the 1, 7, 13-tile TTFTs; about an hour on lavapipe, minutes on a GPU. */
export const FULL: Partial<BenchOptions> = { tiles: [1, 7, 13], tilesGiven: true, promptTokens: 512, newTokens: 128, reps: 5, vitLayers: 24 };

export const USAGE = `npm run bench -- [--model DIR] [--tiles 1,7,13] [--prompt-tokens N] [--new-tokens N] [--reps N]
                    [--full] [--json] [--no-torch] [--torch-dtypes f32,bf16] [--torch-threads N]
                    [--no-smart-compare] [--no-write] [--out-dir DIR] [--quant q4|q8] [--kv-cache f16]
  --model DIR        checkpoint directory (default: the full-size synthetic checkpoint, seed 1, generated once)
  --tiles LIST       TTFT at one image of each tile count; the largest is also the big ViT batch (default 1)
  --prompt-tokens N  pp<N> prefill of N tokens (default ${DEFAULTS.promptTokens})
  --new-tokens N     tg<N> decode steps (default ${DEFAULTS.newTokens})
  --reps N           timed repetitions after ${DEFAULTS.warmup} warm-up (default ${DEFAULTS.reps})
  --vit-layers N     ViT layers run for the ms/tile figures, scaled to all (default: all; 2 on a software
                     adapter, where TTFT then runs only if --tiles is given: one 1-tile TTFT takes minutes there)
  --full             --tiles 1,7,13 --prompt-tokens 512 --new-tokens 128 --reps 5 --vit-layers 24
  --json             JSON lines on stdout (always appended to bench/results.jsonl unless --no-write)
  --no-torch         skip the PyTorch reference
  --quant q4|q8      quantize our language model while loading (the ratios are then to PyTorch on bf16 weights;
                     npm run bench:quant compares the formats with each other)
  --kv-cache f16     our KV cache in f16 (default f32)`;

export function parseArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = { ...DEFAULTS, tiles: [...DEFAULTS.tiles], torchDtypes: [...DEFAULTS.torchDtypes] };
  if (argv.includes('--full')) Object.assign(o, FULL);
  const int = (name: string, v: string | undefined, min = 1) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} needs an integer ≥ ${min}, got ${v}\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--model': o.model = next(); break;
      case '--tiles': o.tiles = [...new Set(next().split(',').map((t) => int('--tiles', t)))].sort((x, y) => x - y); o.tilesGiven = true; break;
      case '--vit-layers': o.vitLayers = int(a, next()); break;
      case '--prompt-tokens': o.promptTokens = int(a, next()); break;
      case '--new-tokens': o.newTokens = int(a, next()); break;
      case '--reps': o.reps = int(a, next()); break;
      case '--warmup': o.warmup = int(a, next(), 0); break;
      case '--json': o.json = true; break;
      case '--no-torch': o.torch = false; break;
      case '--torch-dtypes': o.torchDtypes = next().split(',').filter(Boolean); break;
      case '--torch-threads': o.torchThreads = int(a, next()); break;
      case '--no-smart-compare': o.smartWaitCompare = false; break;
      case '--no-write': o.write = false; break;
      case '--out-dir': o.outDir = next(); break;
      case '--question': o.question = next(); break;
      case '--workload-out': o.workloadOut = next(); break;
      case '--quant': {
        const q = next();
        if (q !== 'q4' && q !== 'q8') throw new Error(`--quant: q4 or q8, got ${q}\n${USAGE}`);
        o.quant = q;
        break;
      }
      case '--kv-cache': {
        const kv = next();
        if (kv !== 'f32' && kv !== 'f16') throw new Error(`--kv-cache: f16 or f32, got ${kv}\n${USAGE}`);
        o.kvCache = kv;
        break;
      }
      case '--full': break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  for (const d of o.torchDtypes) if (d !== 'f32' && d !== 'bf16') throw new Error(`--torch-dtypes: f32 or bf16, got ${d}`);
  return o;
}
