// The model in the page, loaded from a URL through the same InternVL.load as the app, for parity with the Node run
// (test/browser/browser.test.ts). Results cross back to Node as base64 so 151655 logits stay cheap.
import { InternVL } from '../../model/chat.js';
import { decodeImageBlob } from '../../model/image/browser_decode.js';
import { pageGpuOptions } from './gpu_shim.js';

export interface PageChatResult {
  adapter: string;
  f16: boolean;
  promptIds: number[];
  ids: number[];
  response: string;
  pieces: string[];
  logits: string; // base64 of float32 little-endian
  loadMs: number;
  chatMs: number;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function decode(url: string): Promise<{ width: number; height: number; rgb: string }> {
  const img = await decodeImageBlob(await (await fetch(url)).blob(), url);
  return { width: img.width, height: img.height, rgb: base64(img.data) };
}

async function chat(o: { modelUrl: string; imageUrl?: string; question: string; maxNewTokens: number }): Promise<PageChatResult> {
  const t0 = performance.now();
  const model = await InternVL.load(o.modelUrl, { gpuOptions: pageGpuOptions(), maxContext: 2048 });
  const loadMs = performance.now() - t0;
  try {
    const images = o.imageUrl ? [await decodeImageBlob(await (await fetch(o.imageUrl)).blob(), o.imageUrl)] : [];
    let logits = new Float32Array(0);
    const t1 = performance.now();
    const stream = model.stream({
      question: o.question,
      images,
      generation: { doSample: false, maxNewTokens: o.maxNewTokens },
      onPrefillLogits: (l) => (logits = l.slice()),
    });
    const pieces: string[] = [];
    let next = await stream.next();
    while (!next.done) {
      pieces.push(next.value);
      next = await stream.next();
    }
    const r = next.value;
    return {
      adapter: model.model.gpu.adapterName,
      f16: model.model.gpu.features.f16,
      promptIds: Array.from(r.promptIds),
      ids: r.ids,
      response: r.response,
      pieces,
      logits: base64(new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength)),
      loadMs,
      chatMs: performance.now() - t1,
    };
  } finally {
    await model.destroy();
  }
}

(window as unknown as { modelTests: unknown }).modelTests = { decode, chat };
document.getElementById('out')!.textContent = 'ready';
