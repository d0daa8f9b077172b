// ModelFiles over HTTP: `${baseUrl}/${file}`, e.g. https://huggingface.co/OpenGVLab/InternVL2-1B/resolve/main
import { type ByteSource, httpSource } from './byte_source.js';
import type { ModelFiles } from './model_files.js';

export function urlFiles(baseUrl: string, fetchFn: typeof fetch = fetch): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const urlOf = (file: string) => new URL(file, base).toString();
  return {
    describe: () => base,
    async open(file): Promise<ByteSource | undefined> {
      const url = urlOf(file);
      const head = await fetchFn(url, { method: 'HEAD' });
      if (head.status === 404) return undefined;
      const length = head.headers.get('content-length');
      return httpSource(url, head.ok && length !== null && /^\d+$/.test(length) ? Number(length) : undefined, fetchFn);
    },
    async readText(file) {
      const url = urlOf(file);
      const response = await fetchFn(url);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
      return response.text();
    },
  };
}
