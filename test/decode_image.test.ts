// tools/node/decode_image.ts: clear errors that name the file, and the PIL-matching choices that
// the parity test cannot see on its own (size limit before decoding).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBytes, decodeImageFile, MAX_IMAGE_PIXELS } from '../tools/node/decode_image.js';

/** Rewrites a PNG's IHDR size (and its CRC): a header that claims a huge image, cheaply. */
function withPngSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

describe('decodeImageFile errors', () => {
  let dir = '';
  let png: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'decode-image-'));
    const noise = Buffer.alloc(64 * 64 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
    png = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, bytes: Uint8Array | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  it('decodes a good file', async () => {
    const img = await decodeImageFile(file('ok.png', png));
    expect([img.width, img.height, img.data.length]).toEqual([64, 64, 64 * 64 * 3]);
  });

  it('missing file', async () => {
    await expect(decodeImageFile(join(dir, 'nope.png'))).rejects.toThrow(/cannot read image file .*nope\.png/);
  });

  it('empty file', async () => {
    await expect(decodeImageFile(file('empty.png', ''))).rejects.toThrow(/empty\.png is empty/);
  });

  it('not an image', async () => {
    await expect(decodeImageFile(file('notes.jpg', 'hello, I am text'))).rejects.toThrow(/notes\.jpg is not a readable image/);
  });

  it('truncated', async () => {
    const cut = file('cut.png', png.subarray(0, Math.floor(png.length / 2)));
    await expect(decodeImageFile(cut)).rejects.toThrow(/cut\.png/);
  });

  it('absurdly large: refused from the header, before decoding', async () => {
    const big = file('big.png', withPngSize(png, 20000, 20000));
    await expect(decodeImageFile(big)).rejects.toThrow(/big\.png is 20000x20000 = 400\.0 MP, over the 100 MP limit/);
    expect(MAX_IMAGE_PIXELS).toBe(100_000_000);
  });

  it('bytes without a name get a placeholder name', async () => {
    await expect(decodeImageBytes(new Uint8Array([1, 2, 3]))).rejects.toThrow(/<bytes> is not a readable image/);
  });
});
