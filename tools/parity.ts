// npm run parity -- --model DIR [--image F]... [--separate] [--prompt T] [--max-tiles N] [--max-new-tokens N] [--quant q4|q8] [--quant-vision q8] [--kv-cache f16]
// Prints the per-layer table (max-abs, relative error) against the PyTorch reference, the first layer that
// leaves tolerance, and whether the greedy tokens are identical. Exit 1 on any divergence.
import { parseArgs } from './cli/args.js';
import { PARITY_REL_TOL, firstDivergence, formatTable } from './parity/compare.js';
import { runParity } from './parity/run.js';

const args = parseArgs(process.argv.slice(2), { model: { type: 'string' }, image: { type: 'string', repeat: true }, separate: { type: 'boolean' }, prompt: { type: 'string' }, 'max-tiles': { type: 'number' }, 'max-new-tokens': { type: 'number' }, quant: { type: 'string' }, 'quant-vision': { type: 'string' }, 'kv-cache': { type: 'string' } }, 'parity');
if (!args.model) {
  console.error('usage: npm run parity -- --model DIR [--image F]... [--separate] [--prompt T] [--max-tiles N] [--max-new-tokens N] [--quant q4|q8] [--quant-vision q8] [--kv-cache f16]');
  process.exit(2);
}
if (args.quant !== undefined && args.quant !== 'q4' && args.quant !== 'q8') {
  console.error(`--quant ${String(args.quant)}: expected q4 or q8`);
  process.exit(2);
}
if (args.quantVision !== undefined && args.quantVision !== 'q8') {
  console.error(`--quant-vision ${String(args.quantVision)}: expected q8`);
  process.exit(2);
}
if (args.kvCache !== undefined && args.kvCache !== 'f32' && args.kvCache !== 'f16') {
  console.error(`--kv-cache ${String(args.kvCache)}: expected f16 or f32`);
  process.exit(2);
}
const images = (args.image as string[] | undefined) ?? [];
const report = await runParity({
  model: args.model as string,
  samples: [{ question: (args.prompt as string | undefined) ?? (images.length ? 'Please describe the image shortly.' : 'Hello, who are you?'), images, separate: !!args.separate }],
  ...(args.maxTiles !== undefined && { maxTiles: args.maxTiles as number }),
  ...(args.maxNewTokens !== undefined && { maxNewTokens: args.maxNewTokens as number }),
  ...(args.quant !== undefined && { quant: args.quant as 'q4' | 'q8' }),
  ...(args.quantVision !== undefined && { visionQuant: 'q8' as const }),
  ...(args.kvCache !== undefined && { kvCache: args.kvCache as 'f32' | 'f16' }),
  log: (m) => console.error(m),
});
const rows = report.layers[0]!;
console.log(formatTable(rows));
const bad = firstDivergence(rows);
console.log(bad ? `\nFirst divergence: ${bad.name} (relative ${bad.rel.toExponential(2)} > ${PARITY_REL_TOL})` : `\nAll ${rows.length} tensors within relative ${PARITY_REL_TOL}.`);
console.log(`Greedy tokens ${report.tokensMatch ? 'identical' : 'DIFFER'} (${report.ours[0]!.length} generated)\n  ours: ${report.ours[0]!.join(' ')}\n  ref:  ${report.reference[0]!.join(' ')}`);
process.exit(bad || !report.tokensMatch ? 1 : 0);
