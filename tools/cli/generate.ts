// `internvl generate`: one turn. Streams the answer to stdout, or with --json prints exactly one JSON object
// {prompt_ids, ids, text, timings, profile} (profile: the device profile and each op's kernel variant, as
// INTERNVL_PROFILE / INTERNVL_VARIANTS chose them); --logits-out writes the float32 LE logits of the last prompt position.
import { writeFile } from 'node:fs/promises';
import { describeProfile } from '../../runtime/device_profile.js';
import { parseArgs } from './args.js';
import { MODEL_OPTIONS, generationOptions, mediaOptions, openModel } from './common.js';
import { firstTurn, loadMedia } from './request.js';

export async function generateCommand(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv, { ...MODEL_OPTIONS, prompt: { type: 'string' }, json: { type: 'boolean' }, 'logits-out': { type: 'string' } }, 'internvl generate');
  if (args.prompt === undefined) throw new Error('internvl generate: --prompt TEXT is required');
  const t0 = performance.now();
  const model = await openModel(args);
  const loadMs = performance.now() - t0;
  try {
    const media = await loadMedia(model, mediaOptions(args));
    let logits: Float32Array | undefined;
    const request = {
      ...firstTurn(media, args.prompt as string),
      generation: generationOptions(args),
      ...(args.system !== undefined && { systemMessage: args.system as string }),
      ...(args.logitsOut !== undefined && { onPrefillLogits: (l: Float32Array) => (logits = l) }),
    };
    const stream = model.stream(request);
    let step = await stream.next();
    while (!step.done) {
      if (!args.json) process.stdout.write(step.value);
      step = await stream.next();
    }
    const result = step.value;
    if (args.logitsOut !== undefined) await writeFile(args.logitsOut as string, new Uint8Array(logits!.buffer, logits!.byteOffset, logits!.byteLength));
    const s = result.stats;
    const timings = {
      load_ms: loadMs,
      vision_ms: s.visionMs,
      tiles: s.tiles,
      prefill_ms: s.prefillMs,
      prefill_tokens: s.prefillTokens,
      decode_ms: s.decodeMs,
      decode_tokens: s.decodeTokens,
      decode_tokens_per_s: s.decodeMs > 0 ? (1000 * s.decodeTokens) / s.decodeMs : 0,
      host_ms_per_step: s.hostMsPerStep.length ? s.hostMsPerStep.reduce((a, b) => a + b, 0) / s.hostMsPerStep.length : 0,
    };
    const profile = describeProfile(model.model.gpu.profile);
    if (args.json) process.stdout.write(JSON.stringify({ prompt_ids: [...result.promptIds], ids: result.ids, text: result.response, timings, profile }) + '\n');
    else process.stdout.write('\n');
  } finally {
    await model.destroy();
  }
}
