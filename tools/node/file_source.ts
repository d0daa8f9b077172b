// ByteSource over a local file: positioned reads through one fs/promises FileHandle, nothing mapped or slurped.
import { open, type FileHandle } from 'node:fs/promises';
import { type ByteSource, checkRange } from '../../loader/byte_source.js';

export interface FileSource extends ByteSource {
  close(): Promise<void>;
}

export async function fileSource(path: string): Promise<FileSource> {
  const handle: FileHandle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    name: path,
    size,
    async read(offset, length) {
      checkRange(path, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      // read() may return fewer bytes than asked (large reads are split by the OS): loop until full.
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) throw new Error(`${path}: file ended at ${offset + done} while reading ${length} bytes at ${offset} (changed on disk?)`);
        done += bytesRead;
      }
      return out;
    },
    close: () => handle.close(),
  };
}
