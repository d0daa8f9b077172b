// Random-access bytes of one file, wherever it lives (memory, a Blob, a URL, a Node file handle).
// Readers ask for exact ranges so a 1.9 GB checkpoint never has to sit in JS memory at once.

export interface ByteSource {
  /** File name or URL, used in every error message. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes starting at `offset`; rejects when the range is not inside the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases an OS handle where there is one (Node files); sources without one omit it. */
  close?(): Promise<void>;
}

/** Throws unless [offset, offset + length) lies inside a source of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new Error(`${name}: cannot read ${length} bytes at offset ${offset}: the file has ${size} bytes`);
  }
}

export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      checkRange(name, bytes.byteLength, offset, length);
      return bytes.subarray(offset, offset + length);
    },
  };
}

export function blobSource(name: string, blob: Blob): ByteSource {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(name, blob.size, offset, length);
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}

/** Total size from "bytes a-b/total" (a 206 answer), or undefined. */
function sizeFromContentRange(header: string | null): number | undefined {
  const match = header ? /\/(\d+)\s*$/.exec(header) : null;
  return match ? Number(match[1]) : undefined;
}

async function probeSize(url: string, fetchFn: typeof fetch): Promise<number> {
  const head = await fetchFn(url, { method: 'HEAD' });
  const length = head.ok ? head.headers.get('content-length') : null;
  if (length !== null && /^\d+$/.test(length)) return Number(length);
  // Some servers omit Content-Length on HEAD (or refuse HEAD): ask for one byte and read the total.
  const probe = await fetchFn(url, { headers: { Range: 'bytes=0-0' } });
  const total = sizeFromContentRange(probe.headers.get('content-range'));
  await probe.body?.cancel();
  if (total === undefined) throw new Error(`${url}: cannot find the file size (HTTP ${head.status} on HEAD, ${probe.status} on a range request)`);
  return total;
}

/** A file on an HTTP server that honours Range requests (Hugging Face, S3, any static server). */
export async function httpSource(url: string, size?: number, fetchFn: typeof fetch = fetch): Promise<ByteSource> {
  const total = size ?? (await probeSize(url, fetchFn));
  return {
    name: url,
    size: total,
    async read(offset, length) {
      checkRange(url, total, offset, length);
      if (length === 0) return new Uint8Array(0);
      const response = await fetchFn(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      if (!response.ok) throw new Error(`${url}: HTTP ${response.status} for bytes ${offset}-${offset + length - 1}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // A server that ignores Range answers 200 with the whole file: cut the range out rather than fail.
      if (response.status === 200 && bytes.byteLength === total && length !== total) return bytes.subarray(offset, offset + length);
      if (bytes.byteLength !== length) {
        throw new Error(`${url}: asked for ${length} bytes at offset ${offset}, the server sent ${bytes.byteLength}`);
      }
      return bytes;
    },
  };
}
