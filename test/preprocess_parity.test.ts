// Bit-exact parity of our preprocessing with the card's PIL pipeline (SPEC §9): decoded pixels,
// grid choice and uint8 tiles for PNGs of many sizes and modes; float32 ToTensor+Normalize against
// torch. tools/reference/preprocess_ref.py writes the images and the PIL/torch results.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImagePixels, normalizeTiles } from '../model/image/normalize.js';
import { type RgbImage, rgbImage } from '../model/image/rgb_image.js';
import { dynamicPreprocess } from '../model/image/tiling.js';
import { decodeImageFile } from '../tools/node/decode_image.js';

// torchvision-equivalent float32 math: we expect bit equality, and require at least this.
const NORMALIZE_ATOL = 1e-6;
// Different libjpeg builds round the IDCT differently; a few levels at most on these test images.
const JPEG_DECODE_MAX_DIFF = 4;
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../tools/reference/preprocess_ref.py');

interface Run { max_num: number; grid: [number, number]; num_tiles: number; tiles: string; normalised?: string }
interface Case {
  name: string; file: string; width: number; height: number; decoded: string;
  compare: 'exact' | 'measure'; runs: Run[];
}
interface Manifest { pillow: string; torch: string; cases: Case[]; lut: string }

function havePil(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import PIL, torch, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`preprocess parity skipped: ${PYTHON} with PIL, torch and numpy is not available`);
    return false;
  }
}

/** Number of differing bytes, first differing index, max |a-b|. */
function byteDiff(a: Uint8Array, b: Uint8Array) {
  let count = 0, first = -1, max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d) {
      count++;
      if (first < 0) first = i;
      if (d > max) max = d;
    }
  }
  return { count, first, max };
}

function concatTiles(tiles: RgbImage[]): Uint8Array {
  const out = new Uint8Array(tiles.reduce((n, t) => n + t.data.length, 0));
  let o = 0;
  for (const t of tiles) { out.set(t.data, o); o += t.data.length; }
  return out;
}

describe.skipIf(!havePil())('preprocessing parity with PIL / torch', () => {
  let dir = '';
  let m: Manifest;
  const read = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
  const readF32 = (f: string) => { const b = read(f); return new Float32Array(b.buffer, b.byteOffset, b.length / 4); };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'preprocess-parity-'));
    execFileSync(PYTHON, [SCRIPT, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  });
  afterAll(() => { if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true }); });

  it('normalisation of every byte value equals torch float32 bit for bit', () => {
    const ramp = rgbImage(256, 1);
    for (let v = 0; v < 256; v++) ramp.data.fill(v, v * 3, v * 3 + 3);
    expect(Array.from(normalizeTiles([ramp]))).toEqual(Array.from(readF32(m.lut)));
  });

  // One `it` per file keeps failures readable; the list is fixed by the script.
  const names = ['1280x1024', '640x640', '1000x1000', '640x512', '800x600', '1920x1080', '1080x1920',
    '300x1000', '2000x500', '896x448', '448x448', '224x224', '449x449', '1x1', '7x3', '3x7', '997x331',
    '331x997', '2000x1', '3000x3000', 'rgba', 'gray', 'gray_alpha', 'palette', 'palette_trns', 'icc',
    'rgb16', 'jpeg', 'exif6', 'cmyk'];
  it('the reference wrote exactly the expected cases', () => {
    expect(m.cases.map((c) => c.name)).toEqual(names);
  });

  for (const name of names) {
    it(name, async () => {
      const c = m.cases.find((x) => x.name === name)!;
      const ours = await decodeImageFile(join(dir, c.file));
      expect([ours.width, ours.height], `${name}: decoded size (PIL does not apply EXIF rotation)`)
        .toEqual([c.width, c.height]);
      const pil = rgbImage(c.width, c.height, read(c.decoded));
      const dec = byteDiff(ours.data, pil.data);
      if (c.compare === 'exact') {
        expect(dec, `${name}: decoded pixels differ from PIL convert('RGB')`).toEqual({ count: 0, first: -1, max: 0 });
      } else {
        console.log(`${name}: sharp vs PIL decode: ${dec.count} of ${pil.data.length} bytes differ, max |diff| ${dec.max}`);
        // JPEG decoders may differ by IDCT rounding; anything large means rotation, ICC or CMYK went wrong.
        expect(dec.max, `${name}: decoded pixels far from PIL's`).toBeLessThanOrEqual(JPEG_DECODE_MAX_DIFF);
      }
      // Tiles from PIL's own decoded pixels, so JPEG runs still test tiling + resize exactly.
      for (const r of c.runs) {
        const { tiles, grid } = dynamicPreprocess(pil, { maxNum: r.max_num });
        expect(grid, `${name} max_num ${r.max_num}: grid`).toEqual(r.grid);
        expect(tiles.length).toBe(r.num_tiles);
        const diff = byteDiff(concatTiles(tiles), read(r.tiles));
        expect(diff, `${name} max_num ${r.max_num}: tile bytes differ from PIL`).toEqual({ count: 0, first: -1, max: 0 });
        if (r.normalised) {
          const px = loadImagePixels(pil, r.max_num);
          const ref = readF32(r.normalised);
          expect(px.pixelValues.length).toBe(ref.length);
          expect([px.numTiles, ...px.grid]).toEqual([r.num_tiles, ...r.grid]);
          let maxErr = 0, notExact = 0;
          for (let i = 0; i < ref.length; i++) {
            const e = Math.abs(px.pixelValues[i]! - ref[i]!);
            if (e > maxErr) maxErr = e;
            if (e !== 0) notExact++;
          }
          expect(maxErr, `${name}: normalised max abs error (${notExact} values not bit-exact)`).toBeLessThanOrEqual(NORMALIZE_ATOL);
          expect(notExact).toBe(0);
        }
      }
    });
  }
});
