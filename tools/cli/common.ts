// Options shared by `internvl chat` and `internvl generate`: the model source, media, generation settings.
import type { GenerationOptions } from '../../model/generate.js';
import { InternVL } from '../node/internvl.js';
import { progressBar } from '../node/progress_bar.js';
import type { OptionSpec, Parsed } from './args.js';

export const MODEL_OPTIONS: Record<string, OptionSpec> = {
  model: { type: 'string' },
  revision: { type: 'string' },
  image: { type: 'string', repeat: true },
  'combine-images': { type: 'boolean' },
  'max-tiles': { type: 'number' },
  video: { type: 'string' },
  frames: { type: 'number' },
  'max-new-tokens': { type: 'number' },
  'max-context': { type: 'number' },
  temperature: { type: 'number' },
  'top-p': { type: 'number' },
  'top-k': { type: 'number' },
  'repetition-penalty': { type: 'number' },
  seed: { type: 'number' },
  system: { type: 'string' },
};

export async function openModel(args: Parsed): Promise<InternVL> {
  const source = args.model as string | undefined;
  if (!source) throw new Error('--model DIR|REPO is required (e.g. --model OpenGVLab/InternVL2-1B)');
  const bar = progressBar();
  return InternVL.load(source, {
    ...(args.revision !== undefined && { revision: args.revision as string }),
    ...(args.maxContext !== undefined && { maxContext: args.maxContext as number }),
    onProgress: (p: { file?: string; bytesDone: number; bytesTotal: number }) => bar({ file: p.file ?? 'weights → GPU', bytesDone: p.bytesDone, bytesTotal: p.bytesTotal }),
  });
}

/** Greedy unless a sampling option is given, so runs are reproducible by default. */
export function generationOptions(args: Parsed, defaultMaxNew = 1024): GenerationOptions {
  const sampling = args.temperature !== undefined || args.topP !== undefined || args.topK !== undefined;
  return {
    maxNewTokens: (args.maxNewTokens as number | undefined) ?? defaultMaxNew,
    doSample: sampling,
    ...(args.temperature !== undefined && { temperature: args.temperature as number }),
    ...(args.topP !== undefined && { topP: args.topP as number }),
    topK: (args.topK as number | undefined) ?? (sampling ? 50 : 0),
    ...(args.repetitionPenalty !== undefined && { repetitionPenalty: args.repetitionPenalty as number }),
    ...(args.seed !== undefined && { seed: args.seed as number }),
  };
}

export function mediaOptions(args: Parsed) {
  return {
    images: (args.image as string[] | undefined) ?? [],
    ...(args.maxTiles !== undefined && { maxTiles: args.maxTiles as number }),
    ...(args.combineImages !== undefined && { combineImages: args.combineImages as boolean }),
    ...(args.video !== undefined && { video: args.video as string }),
    ...(args.frames !== undefined && { frames: args.frames as number }),
  };
}
