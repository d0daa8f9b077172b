// `internvl generate`: one turn. Streams the answer to stdout, or with --json prints exactly one JSON object
// {prompt_ids, ids, text, timings, profile} (profile: the device profile and each op's kernel variant, as
// INTERNVL_PROFILE / INTERNVL_VARIANTS chose them); --logits-out writes the float32 LE logits of the last prompt position.
import { writeFile } from 'node:fs/promises';
import { describeProfile } from '../../runtime/device_profile.js';
import { type Command, type Parsed, UsageError } from './args.js';
import { MODEL_OPTIONS, generationOptions, mediaOptions, openModel, requiredModel, verboseLog } from './common.js';
import { checkPlaceholders, firstTurn, readMedia, tileMedia } from './request.js';

export const generateCommand: Command = {
  name: 'generate',
  summary: 'Answer one prompt, about images or a video if given, streamed to stdout (or one JSON object with --json).',
  usage: '--model DIR|REPO --prompt TEXT [options]',
  options: {
    ...MODEL_OPTIONS,
    prompt: { type: 'string', value: 'TEXT', help: 'the question; its <image> placeholders, if any, are the image/frame slots' },
    json: { type: 'boolean', help: 'print {prompt_ids, ids, text, timings, profile} instead of the streamed answer' },
    'logits-out': { type: 'string', value: 'FILE', help: 'write the float32 LE logits of the last prompt position' },
  },
  run: generate,
};

async function generate(args: Parsed): Promise<void> {
  requiredModel(args);
  if (args.prompt === undefined) throw new UsageError('--prompt TEXT is required');
  const question = args.prompt as string;
  const options = mediaOptions(args);
  checkPlaceholders(question, options);
  const media = await readMedia(options);
  const log = verboseLog(args);
  const t0 = performance.now();
  const model = await openModel(args);
  const loadMs = performance.now() - t0;
  try {
    const tiled = tileMedia(model, media);
    for (const line of tiled.grids) log(line);
    let logits: Float32Array | undefined;
    const stream = model.stream({
      ...firstTurn(media, tiled, question),
      generation: generationOptions(args),
      ...(args.system !== undefined && { systemMessage: args.system as string }),
      ...(args.logitsOut !== undefined && { onPrefillLogits: (l: Float32Array) => (logits = l) }),
    });
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
    log(
      `vision ${timings.vision_ms.toFixed(0)} ms (${timings.tiles} tiles), prefill ${timings.prefill_tokens} tokens in ${timings.prefill_ms.toFixed(0)} ms, ` +
        `decode ${timings.decode_tokens} tokens at ${timings.decode_tokens_per_s.toFixed(2)} tok/s (host ${timings.host_ms_per_step.toFixed(2)} ms/step)`,
    );
  } finally {
    await model.destroy();
  }
}
