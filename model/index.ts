/// <reference types="@webgpu/types" preserve="true" />
// The package's browser-safe entry, `import { InternVL } from 'internvl-webgpu'`: the chat API, preprocessing,
// prompt helpers and the ModelFiles adapters a web page needs. Nothing here imports a Node built-in;
// `internvl-webgpu/node` (tools/node/internvl.ts) adds loading by path, image/video files and Dawn.
export { InternVL, concatPixelValues } from './chat.js';
export type { BatchChatRequest, ChatRequest, ChatResult, ModelOptions, PixelValues } from './chat.js';
export type { FeatureCacheStats } from './feature_cache.js';
export { ApiError, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest, type CompletionOptions, type MediaResolver } from './openai_api.js';
export type { GenerationOptions, GenerationStats, EngineOptions } from './generate.js';
export type { LoadOptions, LoadProgress, LoadTimings, LoadedModel } from './load.js';
export type { SamplingOptions } from '../runtime/sampler.js';
export { DEFAULT_SYSTEM_MESSAGE, IMAGE_PLACEHOLDER, multiImagePrefix, videoPrefix, type Turn } from './conversation.js';
export { browserPlatform, setPlatform, type Platform } from './platform.js';

// Images and video frames, decoded as PIL does, tiled as the card's load_image / load_video.
export type { RgbImage } from './image/rgb_image.js';
export { decodeImageBlob } from './image/browser_decode.js';
export { videoFrames, type VideoFrames } from './image/browser_video.js';
export { loadImagePixels, type ImagePixels } from './image/normalize.js';
export { getIndex, videoPixels, type VideoPixels } from './image/video.js';

// Where the weights come from: a hub repo through the Cache API, a URL of a model directory, a picked folder.
export type { ModelFiles } from '../loader/model_files.js';
export type { DownloadOptions, DownloadProgress, HubOptions } from '../loader/hub.js';
export { HubError, HubNetworkError } from '../loader/hub.js';
export { openHubModel } from '../loader/browser_cache.js';
export { urlFiles } from '../loader/url_files.js';
export { fileListFiles } from '../loader/file_list_files.js';

// The device: a WebGPU adapter and the profile that picks each op's kernel variant.
export { requestGpu, type Gpu, type GpuOptions } from '../runtime/device.js';
export { describeProfile, type DeviceClass } from '../runtime/device_profile.js';
