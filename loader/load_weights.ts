// The whole load in one call: config.json → checkpoint headers → tensor-list check → streamed upload.
// Everything that can be wrong with the files is reported before the first GPU buffer is created.
import type { Tensor } from '../runtime/tensor.js';
import { openCheckpoint } from './checkpoint.js';
import { type GenerationConfig, type InternVLChatConfig, parseConfig, parseGenerationConfig } from './config.js';
import type { ModelFiles } from './model_files.js';
import type { SafetensorsDType } from './safetensors.js';
import { checkCheckpoint, expectedTensors } from './tensor_list.js';
import { type UploadOptions, uploadWeights } from './upload.js';

export interface LoadedWeights {
  readonly config: InternVLChatConfig;
  /** undefined when the model has no generation_config.json. */
  readonly generationConfig: GenerationConfig | undefined;
  readonly tensors: Map<string, Tensor>;
  /** Tensors per checkpoint dtype ({BF16: 637} for the official file). */
  readonly dtypes: Map<SafetensorsDType, number>;
  readonly bytes: number;
  readonly readMs: number;
  readonly uploadMs: number;
}

export interface LoadWeightsOptions extends UploadOptions {
  /** Checks of the caller's on the parsed config, made before any weight is read (e.g. the template is known). */
  checkConfig?: (config: InternVLChatConfig) => void;
}

export async function loadWeights(device: GPUDevice, files: ModelFiles, options: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const where = files.describe();
  const configText = await files.readText('config.json');
  if (configText === undefined) throw new Error(`${where}: config.json does not exist`);
  const config = parseConfig(configText, `${where}/config.json`);
  options.checkConfig?.(config);
  const generationText = await files.readText('generation_config.json');
  const generationConfig = generationText === undefined ? undefined : parseGenerationConfig(generationText, `${where}/generation_config.json`);
  const checkpoint = await openCheckpoint(files);
  try {
    const dtypes = checkCheckpoint(expectedTensors(config), checkpoint.tensors, where);
    const result = await uploadWeights(device, checkpoint.tensors.values(), options);
    return { config, generationConfig, dtypes, ...result };
  } finally {
    await checkpoint.close();
  }
}
