import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobSource, bytesSource, httpSource } from '../loader/byte_source.js';
import { urlFiles } from '../loader/url_files.js';
import { dirFiles } from '../tools/node/dir_files.js';
import { fileSource } from '../tools/node/file_source.js';

const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 13) & 0xff);

/** A fetch that serves `data` at http://host/model/x.bin, honouring Range unless told otherwise. */
function fakeFetch(opts: { ignoreRange?: boolean; noHeadLength?: boolean } = {}): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    if (!url.endsWith('/model/x.bin')) return new Response('not found', { status: 404 });
    if (init?.method === 'HEAD') return new Response(null, { status: 200, headers: opts.noHeadLength ? {} : { 'content-length': String(data.length) } });
    const range = new Headers(init?.headers).get('range');
    const m = range && !opts.ignoreRange ? /bytes=(\d+)-(\d+)/.exec(range) : null;
    if (!m) return new Response(data.slice(), { status: 200 });
    const [a, b] = [Number(m[1]), Number(m[2])];
    return new Response(data.slice(a, b + 1), { status: 206, headers: { 'content-range': `bytes ${a}-${b}/${data.length}` } });
  }) as typeof fetch;
}

describe('byte sources', () => {
  it('bytes and Blob sources read exact ranges and reject reads past the end', async () => {
    for (const source of [bytesSource('mem.bin', data), blobSource('blob.bin', new Blob([data]))]) {
      expect(source.size).toBe(1000);
      expect([...(await source.read(10, 5))]).toEqual([...data.subarray(10, 15)]);
      await expect(source.read(998, 5)).rejects.toThrow(new RegExp(`${source.name}: cannot read 5 bytes at offset 998: the file has 1000 bytes`));
    }
  });

  it('httpSource uses Range requests and finds the size by HEAD or Content-Range', async () => {
    for (const opts of [{}, { noHeadLength: true }, { ignoreRange: true }]) {
      const source = await httpSource('http://host/model/x.bin', undefined, fakeFetch(opts));
      expect(source.size).toBe(1000);
      expect([...(await source.read(500, 20))]).toEqual([...data.subarray(500, 520)]);
    }
  });

  it('urlFiles opens, reads text and reports missing files', async () => {
    const files = urlFiles('http://host/model', fakeFetch());
    expect(files.describe()).toBe('http://host/model/');
    expect((await files.open('x.bin'))!.size).toBe(1000);
    expect(await files.open('missing.json')).toBeUndefined();
    expect(await files.readText('missing.json')).toBeUndefined();
  });

  it('fileSource and dirFiles read local files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'byte-source-'));
    try {
      await writeFile(join(dir, 'x.bin'), data);
      await writeFile(join(dir, 'a.json'), '{"ü": 1}');
      const source = await fileSource(join(dir, 'x.bin'));
      expect([...(await source.read(990, 10))]).toEqual([...data.subarray(990)]);
      await expect(source.read(995, 10)).rejects.toThrow(/x\.bin: cannot read 10 bytes at offset 995/);
      await source.close();
      const files = dirFiles(dir);
      expect(await files.readText('a.json')).toBe('{"ü": 1}');
      expect(await files.readText('nope.json')).toBeUndefined();
      expect(await files.open('nope.bin')).toBeUndefined();
      const opened = (await files.open('x.bin'))!;
      expect(opened.size).toBe(1000);
      await opened.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
