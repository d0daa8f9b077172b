// The browser page: the core runtime (model/, loader/, runtime/) with plain DOM around it.
// Models: a hub id (downloaded once into the Cache API by loader/browser_cache.ts), a URL of a model directory
// (read with Range requests), or a local folder (File objects). Images are decoded as PIL does
// (model/image/browser_decode.ts) and tiled by the same code as in Node; videos are sampled as the card does.
import type { ModelFiles } from '../../loader/model_files.js';
import { InternVL, concatPixelValues } from '../../model/chat.js';
import { type Turn, multiImagePrefix, videoPrefix, withImagePlaceholder } from '../../model/conversation.js';
import type { GenerationOptions } from '../../model/generate.js';
import { decodeImageBlob } from '../../model/image/browser_decode.js';
import { loadImagePixels } from '../../model/image/normalize.js';
import type { RgbImage } from '../../model/image/rgb_image.js';
import { dynamicPreprocess } from '../../model/image/tiling.js';
import { videoPixels } from '../../model/image/video.js';
import { browserPlatform } from '../../model/platform.js';
import type { GpuOptions } from '../../runtime/device.js';
import { fileListFiles } from '../../loader/file_list_files.js';
import { videoFrames } from '../../model/image/browser_video.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const num = (id: string) => Number($<HTMLInputElement>(id).value);

type Attachment = { kind: 'image'; name: string; image: RgbImage } | { kind: 'video'; name: string; frames: RgbImage[]; indices: number[]; fps: number };

let model: InternVL | undefined;
let attachments: Attachment[] = [];
let history: Turn[] | undefined;
let stopRequested = false;

function setState(state: 'idle' | 'loading' | 'ready' | 'generating' | 'error'): void {
  document.body.dataset.state = state;
  $<HTMLButtonElement>('send').disabled = state !== 'ready';
  $<HTMLButtonElement>('stop').disabled = state !== 'generating';
  $<HTMLButtonElement>('load').disabled = state === 'loading' || state === 'generating';
}

function showError(e: unknown): void {
  const el = $('error');
  el.hidden = false;
  el.textContent = e instanceof Error ? e.message : String(e);
  console.error(e);
}

// ---- loading ---------------------------------------------------------------------------------------------

const mb = (b: number) => (b / 1e6).toFixed(b < 1e8 ? 1 : 0);

/** Progress of one phase (download or upload): bytes, rate and ETA. */
function progressReporter(label: string) {
  const t0 = performance.now();
  return (file: string, done: number, total: number) => {
    const s = (performance.now() - t0) / 1000;
    const rate = s > 0 ? done / s : 0;
    const eta = rate > 0 && total > done ? `, ETA ${Math.ceil((total - done) / rate)} s` : '';
    $<HTMLProgressElement>('progress').value = total ? done / total : 0;
    $('progress-text').textContent = `${label} ${file}: ${mb(done)} / ${mb(total)} MB, ${mb(rate)} MB/s${eta}`;
  };
}

function gpuOptions(): GpuOptions {
  return $<HTMLSelectElement>('adapter').value === 'compat' ? { featureLevel: 'compatibility' } : {};
}

async function load(source: string | ModelFiles): Promise<void> {
  setState('loading');
  $('error').hidden = true;
  if (model) {
    await model.destroy();
    model.model.gpu.device.destroy(); // weights go with the device
    model = undefined;
  }
  try {
    const t0 = performance.now();
    const gpu = await browserPlatform.gpu(gpuOptions());
    const download = progressReporter('downloading');
    const files = typeof source === 'string' ? await browserPlatform.resolve(source.trim(), { onProgress: (p) => download(p.file, p.bytesDone, p.bytesTotal) }) : source;
    const upload = progressReporter('to the GPU');
    const quant = $<HTMLSelectElement>('quant').value as '' | 'q4' | 'q8'; // a saved q4/q8 checkpoint needs none
    const visionQuant = $<HTMLSelectElement>('quant-vision').value as '' | 'q8'; // off by default: OCR is sensitive to it
    const kvCache = $<HTMLSelectElement>('kv-cache').value as 'f32' | 'f16';
    model = await InternVL.create(gpu, files, { maxContext: 8192, kvCache, onProgress: (p) => upload('weights', p.bytesDone, p.bytesTotal), ...(quant && { quant }), ...(visionQuant && { visionQuant }) });
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    $<HTMLProgressElement>('progress').value = 1;
    $('progress-text').textContent = `${files.describe()}: ${mb(model.model.weightBytes)} MB of weights loaded in ${s} s`;
    $('gpu-info').textContent = `${gpu.adapterName} · ${gpuOptions().featureLevel ?? 'core'} · shader-f16 ${gpu.features.f16 ? 'enabled' : 'not available (f32 path)'} · language model ${model.model.quantization.format} · vision ${model.model.quantization.visionFormat} · KV cache ${kvCache} · loaded in ${s} s`;
    $<HTMLInputElement>('max-tiles').value = String(Math.min(num('max-tiles'), model.model.config.max_dynamic_patch));
    newChat();
    setState('ready');
  } catch (e) {
    showError(e);
    setState('error');
  }
}

// ---- attachments -----------------------------------------------------------------------------------------

function canvasOf(img: RgbImage, title: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.title = title;
  const rgba = new ImageData(img.width, img.height);
  for (let p = 0; p < img.width * img.height; p++) {
    rgba.data.set(img.data.subarray(p * 3, p * 3 + 3), p * 4);
    rgba.data[p * 4 + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(rgba, 0, 0);
  return canvas;
}

/** What the model will see: every 448×448 tile (and the thumbnail), or one tile per video frame. */
function renderAttachments(): void {
  const tiles = $('tiles');
  tiles.replaceChildren();
  let total = 0;
  for (const a of attachments) {
    const group = document.createElement('div');
    group.className = 'group';
    const caption = document.createElement('div');
    caption.className = 'caption';
    if (a.kind === 'image') {
      const { tiles: t, grid } = dynamicPreprocess(a.image, { maxNum: num('max-tiles'), imageSize: 448, useThumbnail: true });
      t.forEach((tile, i) => group.append(canvasOf(tile, i < grid[0] * grid[1] ? `tile ${i + 1}` : 'thumbnail')));
      caption.textContent = `${a.name}: ${a.image.width}×${a.image.height} → ${grid[0]}×${grid[1]} tiles${t.length > grid[0] * grid[1] ? ' + thumbnail' : ''} = ${t.length}`;
      total += t.length;
    } else {
      a.frames.forEach((f, i) => group.append(canvasOf(dynamicPreprocess(f, { maxNum: 1, imageSize: 448, useThumbnail: true }).tiles[0]!, `frame ${a.indices[i]}`)));
      caption.textContent = `${a.name}: frames ${a.indices.join(', ')} at ${a.fps} fps, one tile each`;
      total += a.frames.length;
    }
    group.prepend(caption);
    tiles.append(group);
  }
  $('attach-info').textContent = attachments.length ? `${total} tiles × 256 tokens = ${total * 256} image tokens. Changing attachments starts a new chat.` : '';
}

async function attach(files: ArrayLike<File>): Promise<void> {
  try {
    for (const file of Array.from(files)) {
      if (file.type.startsWith('video/')) {
        $('attach-info').textContent = `reading frames of ${file.name}…`;
        const v = await videoFrames(file, num('num-segments'));
        attachments = [{ kind: 'video', name: file.name, ...v }];
      } else {
        const image = await decodeImageBlob(file, file.name);
        attachments = [...attachments.filter((a) => a.kind === 'image'), { kind: 'image', name: file.name, image }];
      }
    }
    newChat();
    renderAttachments();
  } catch (e) {
    showError(e);
  }
}

/** Pixel values and the question prefix for the current attachments (the card's conventions). */
function attachmentInputs(): { pixelValues?: { data: Float32Array; tiles: number }; numPatchesList?: number[]; prefix: string } {
  const video = attachments.find((a) => a.kind === 'video');
  if (video?.kind === 'video') {
    const v = videoPixels(video.frames);
    return { pixelValues: { data: v.pixelValues, tiles: v.numPatchesList.length }, numPatchesList: v.numPatchesList, prefix: videoPrefix(v.numPatchesList.length) };
  }
  const images = attachments.flatMap((a) => (a.kind === 'image' ? [loadImagePixels(a.image, num('max-tiles'))] : []));
  if (!images.length) return { prefix: '' };
  return { pixelValues: concatPixelValues(images.map((p) => ({ data: p.pixelValues, tiles: p.numTiles }))), numPatchesList: images.map((p) => p.numTiles), prefix: images.length > 1 ? multiImagePrefix(images.length) : '' };
}

// ---- chat ------------------------------------------------------------------------------------------------

function addTurn(role: 'user' | 'assistant', text: string): HTMLElement {
  const turn = document.createElement('div');
  turn.className = `turn ${role}`;
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = text;
  turn.append(body);
  $('history').append(turn);
  return turn;
}

function generationOptions(): GenerationOptions {
  const doSample = $<HTMLInputElement>('do-sample').checked;
  return {
    maxNewTokens: num('max-new-tokens'),
    doSample,
    ...(doSample && { temperature: num('temperature'), topK: num('top-k'), topP: num('top-p'), seed: num('seed') }),
    repetitionPenalty: num('repetition-penalty'),
  };
}

function newChat(): void {
  history = undefined;
  $('history').replaceChildren();
  $('stats').textContent = '';
}

async function send(): Promise<void> {
  const text = $<HTMLTextAreaElement>('question').value.trim();
  if (!model || !text || document.body.dataset.state !== 'ready') return;
  $<HTMLTextAreaElement>('question').value = '';
  $('error').hidden = true;
  const first = history === undefined;
  const inputs = first || attachments.length ? attachmentInputs() : { prefix: '' };
  const question = first ? inputs.prefix + text : text;
  addTurn('user', text);
  const answer = addTurn('assistant', '');
  const body = answer.querySelector<HTMLElement>('.text')!;
  setState('generating');
  stopRequested = false;
  const t0 = performance.now();
  let pieces = 0;
  let partial = '';
  try {
    const stream = model.stream({
      question,
      ...(history !== undefined && { history }),
      ...(inputs.pixelValues && { pixelValues: inputs.pixelValues, numPatchesList: inputs.numPatchesList! }),
      generation: generationOptions(),
    });
    let next = await stream.next();
    while (!next.done) {
      partial += next.value;
      body.textContent = partial;
      body.dataset.pieces = String(++pieces);
      if (stopRequested) {
        await stream.return(undefined as never);
        break;
      }
      next = await stream.next();
    }
    const meta = document.createElement('div');
    meta.className = 'meta';
    if (next.done) {
      const { stats, response } = next.value;
      history = next.value.history;
      body.textContent = response;
      const tps = stats.decodeMs > 0 ? (stats.decodeTokens / stats.decodeMs) * 1000 : 0;
      $('stats').textContent =
        `prefill ${stats.prefillTokens} tokens in ${(stats.prefillMs / 1000).toFixed(2)} s (${((stats.prefillTokens / stats.prefillMs) * 1000).toFixed(0)} tokens/s)` +
        (stats.tiles ? ` · vision ${stats.tiles} tiles in ${(stats.visionMs / 1000).toFixed(2)} s` : '') +
        ` · decode ${stats.decodeTokens} tokens at ${tps.toFixed(1)} tokens/s`;
      meta.textContent = `${stats.decodeTokens} tokens · ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    } else {
      history = [...(history ?? []), [withImagePlaceholder(question, !first, !!inputs.pixelValues), partial]];
      meta.textContent = `stopped · ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      $('stats').textContent = 'stopped';
    }
    answer.append(meta);
    body.dataset.pieces = String(pieces);
  } catch (e) {
    showError(e);
  } finally {
    setState(model ? 'ready' : 'idle');
  }
}

// ---- wiring ----------------------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
if (params.get('adapter') === 'compat') $<HTMLSelectElement>('adapter').value = 'compat';
if (params.get('quant') === 'q4' || params.get('quant') === 'q8') $<HTMLSelectElement>('quant').value = params.get('quant')!;
if (params.get('quant-vision') === 'q8') $<HTMLSelectElement>('quant-vision').value = 'q8';
if (params.get('kv') === 'f16' || params.get('kv') === 'f32') $<HTMLSelectElement>('kv-cache').value = params.get('kv')!;
if (params.get('model')) $<HTMLInputElement>('model-source').value = params.get('model')!;

$('load').addEventListener('click', () => void load($<HTMLInputElement>('model-source').value));
$<HTMLInputElement>('model-source').addEventListener('keydown', (e) => e.key === 'Enter' && void load($<HTMLInputElement>('model-source').value));
$<HTMLInputElement>('folder-input').addEventListener('change', (e) => {
  const files = (e.target as HTMLInputElement).files;
  if (files?.length) void load(fileListFiles(files));
});
$<HTMLInputElement>('image-input').addEventListener('change', (e) => void attach((e.target as HTMLInputElement).files ?? []));
$<HTMLInputElement>('video-input').addEventListener('change', (e) => void attach((e.target as HTMLInputElement).files ?? []));
$('clear-attachments').addEventListener('click', () => {
  attachments = [];
  newChat();
  renderAttachments();
});
$<HTMLInputElement>('max-tiles').addEventListener('change', renderAttachments);
const drop = $('drop');
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
document.addEventListener('dragleave', () => drop.classList.remove('over'));
document.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer?.files.length) void attach(e.dataTransfer.files);
});
document.addEventListener('paste', (e) => {
  const files = Array.from(e.clipboardData?.files ?? []).filter((f) => f.type.startsWith('image/'));
  if (files.length) void attach(files);
});
$('send').addEventListener('click', () => void send());
$<HTMLTextAreaElement>('question').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    void send();
  }
});
$('stop').addEventListener('click', () => (stopRequested = true));
$('new-chat').addEventListener('click', newChat);
if (!('gpu' in navigator)) showError(new Error('This browser has no WebGPU (navigator.gpu). Use a recent Chromium, served from http://localhost or https.'));
setState('idle');
