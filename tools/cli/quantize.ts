// `internvl quantize --model M --quant q4|q8 [--quant-vision q8] --out DIR`: a saved quantized checkpoint (tools/node/
// quantize_checkpoint.ts) that loads with no conversion, from a directory, the hub or a URL like any other.
import { resolveModel } from '../node/hf_cache.js';
import { progressBar } from '../node/progress_bar.js';
import { quantizeCheckpoint } from '../node/quantize_checkpoint.js';
import { type Command, type Parsed, UsageError } from './args.js';
import { MODEL_OPTIONS, quantOption, requiredModel, stderr, visionQuantOption } from './common.js';

const { model, revision, 'quant-vision': quantVision } = MODEL_OPTIONS;

export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'Write a q4/q8 copy of a checkpoint (language-model matrices quantized, groups of 32) that loads without conversion.',
  usage: '--model DIR|REPO --quant q4|q8 [--quant-vision q8] --out DIR',
  options: {
    model: model!,
    revision: revision!,
    quant: { type: 'string', value: 'q4|q8', help: 'the format (runtime/quant.ts)' },
    'quant-vision': quantVision!,
    out: { type: 'string', value: 'DIR', help: 'the new checkpoint directory (created)' },
  },
  run: quantizeRun,
};

async function quantizeRun(args: Parsed): Promise<void> {
  const format = quantOption(args);
  if (!format) throw new UsageError('--quant q4|q8 is required');
  const visionFormat = visionQuantOption(args);
  const out = args.out as string | undefined;
  if (!out) throw new UsageError('--out DIR is required');
  const files = await resolveModel(requiredModel(args), { ...(args.revision !== undefined && { revision: args.revision as string }) });
  const stream = stderr();
  const bar = stream.isTTY ? progressBar(stream) : undefined;
  const r = await quantizeCheckpoint(files, format, out, { ...(visionFormat && { visionFormat }), ...(bar && { onProgress: (p) => bar({ file: 'quantizing', ...p }) }) });
  const kept = r.keptBf16.length ? `; kept bf16 (K not a multiple of 32): ${r.keptBf16.join(', ')}` : '';
  process.stderr.write(`${format}${visionFormat ? ` (vision ${visionFormat})` : ''}: ${r.quantized} matrices, ${(r.bytesIn / 1e6).toFixed(1)} MB → ${(r.bytesOut / 1e6).toFixed(1)} MB${kept}\n`);
  process.stdout.write(`${out}\n`);
}
