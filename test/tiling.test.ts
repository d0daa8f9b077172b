// SPEC §9.1: candidate grid lists, the worked-examples table, the exact-tie rule, tile order.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pilResizeBicubic } from '../model/image/pil_resize.js';
import { pySetOrder, pyTupleHash } from '../model/image/py_set_order.js';
import { cropRgb, rgbImage } from '../model/image/rgb_image.js';
import { dynamicPreprocess, findClosestAspectRatio, type Grid, targetRatios } from '../model/image/tiling.js';

const MAX6: Grid[] = [[1, 1], [1, 2], [2, 1], [3, 1], [1, 3], [4, 1], [1, 4], [2, 2], [1, 5], [5, 1], [6, 1],
  [2, 3], [1, 6], [3, 2]];
const MAX12: Grid[] = [[1, 1], [1, 2], [2, 1], [3, 1], [1, 3], [2, 2], [4, 1], [1, 4], [5, 1], [1, 5], [1, 6],
  [6, 1], [3, 2], [2, 3], [7, 1], [1, 7], [4, 2], [2, 4], [1, 8], [8, 1], [1, 9], [3, 3], [9, 1], [2, 5], [5, 2],
  [10, 1], [1, 10], [11, 1], [1, 11], [12, 1], [3, 4], [4, 3], [1, 12], [6, 2], [2, 6]];

// W×H → [grid for max_num 6, grid for max_num 12]; tiles = cols·rows (+1 thumbnail when > 1).
const TABLE: [number, number, Grid, Grid][] = [
  [448, 448, [1, 1], [1, 1]], [500, 500, [1, 1], [1, 1]], [600, 600, [1, 1], [1, 1]], [224, 224, [1, 1], [1, 1]],
  [800, 600, [3, 2], [4, 3]], [640, 480, [3, 2], [4, 3]], [1024, 768, [3, 2], [4, 3]],
  [1280, 1024, [3, 2], [4, 3]],
  [1920, 1080, [2, 1], [4, 2]],
  [1080, 1920, [1, 2], [2, 4]],
  [300, 1000, [1, 3], [1, 3]],
  [2000, 500, [4, 1], [4, 1]],
  [896, 448, [2, 1], [2, 1]],
  [3000, 3000, [2, 2], [3, 3]],
];
const TILES: Record<string, [number, number]> = { // W×H → tiles incl. thumbnail, for max 6 and 12
  '448x448': [1, 1], '800x600': [7, 13], '1280x1024': [7, 13], '1920x1080': [3, 9], '1080x1920': [3, 9],
  '300x1000': [4, 4], '2000x500': [5, 5], '896x448': [3, 3], '3000x3000': [5, 10],
};

// vitest's deep equality walks typed arrays element by element: far too slow for 600 kB tiles.
const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

const grid = (w: number, h: number, maxNum: number) =>
  findClosestAspectRatio(w / h, targetRatios(1, maxNum), w, h, 448);

describe('targetRatios', () => {
  it('reproduces the SPEC lists for max_num 6, 12 and 1', () => {
    expect(targetRatios(1, 6)).toEqual(MAX6);
    expect(targetRatios(1, 12)).toEqual(MAX12);
    expect(targetRatios(1, 1)).toEqual([[1, 1]]);
  });

  it('matches this machine\'s CPython for other (min_num, max_num)', () => {
    const pairs: [number, number][] = [];
    for (let mx = 1; mx <= 40; mx++) pairs.push([1, mx]);
    pairs.push([2, 6], [3, 12], [4, 9], [12, 12]);
    const py = `import json
out=[]
for mn,mx in ${JSON.stringify(pairs)}:
  s=set((i,j) for n in range(mn,mx+1) for i in range(1,n+1) for j in range(1,n+1) if mn<=i*j<=mx)
  out.append([list(p) for p in sorted(s,key=lambda x:x[0]*x[1])])
print(json.dumps(out))`;
    let ref: Grid[][];
    try {
      ref = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py]).toString()) as Grid[][];
    } catch (e) {
      console.warn(`CPython cross-check skipped: ${(e as Error).message}`);
      return;
    }
    pairs.forEach(([mn, mx], k) => expect(targetRatios(mn, mx), `min ${mn} max ${mx}`).toEqual(ref[k]));
  });

  it('hashes tuples like CPython 3.8+ (64-bit)', () => {
    // hash(()) and hash((1, 2)) on 64-bit CPython ≥ 3.8, as unsigned.
    expect(pyTupleHash([])).toBe(5740354900026072187n);
    expect(pyTupleHash([1, 2])).toBe(BigInt.asUintN(64, -3550055125485641917n));
    expect(pySetOrder([[1, 1], [1, 1]])).toEqual([[1, 1]]);
  });
});

describe('findClosestAspectRatio: SPEC §9.1 worked examples', () => {
  for (const [w, h, g6, g12] of TABLE) {
    it(`${w}x${h}`, () => {
      expect(grid(w, h, 6)).toEqual(g6);
      expect(grid(w, h, 12)).toEqual(g12);
      const t = TILES[`${w}x${h}`];
      if (t) {
        const tiles = (g: Grid) => g[0] * g[1] + (g[0] * g[1] > 1 ? 1 : 0);
        expect([tiles(g6), tiles(g12)]).toEqual(t);
        expect([tiles(g6) * 256, tiles(g12) * 256]).toEqual(t.map((n) => n * 256)); // IMG_CONTEXT tokens
      }
    });
  }

  it('applies the area rule only on exact float ties', () => {
    // Square: (2,2) ties (1,1) at diff 0; taken only when area > 0.5·448²·4 = 401408.
    expect(grid(633, 633, 6)).toEqual([1, 1]); // 400689
    expect(grid(634, 634, 6)).toEqual([2, 2]); // 401956
    // (3,3) needs area > 903168 under max 12.
    expect(grid(950, 950, 12)).toEqual([2, 2]);
    expect(grid(951, 951, 12)).toEqual([3, 3]);
    // Aspect 1.25: (1,1), (2,2), (3,2) all at diff exactly 0.25.
    expect(grid(640, 512, 6)).toEqual([1, 1]);
    expect(grid(1280, 1024, 6)).toEqual([3, 2]);
    expect(grid(800, 640, 6)).toEqual([2, 2]); // 512000: over (2,2)'s 401408, not (3,2)'s 602112
  });
});

describe('dynamicPreprocess', () => {
  it('crops row-major from one whole-image resize, thumbnail last', () => {
    const img = rgbImage(7, 3);
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37) % 256;
    const { tiles, grid: g } = dynamicPreprocess(img, { maxNum: 12 });
    expect(g).toEqual([5, 2]);
    expect(tiles.length).toBe(11);
    const resized = pilResizeBicubic(img, 448 * 5, 448 * 2);
    for (let k = 0; k < 10; k++) {
      expect(same(tiles[k]!.data, cropRgb(resized, (k % 5) * 448, Math.floor(k / 5) * 448, 448, 448).data)).toBe(true);
    }
    expect(same(tiles[10]!.data, pilResizeBicubic(img, 448, 448).data)).toBe(true);
  });

  it('gives one tile and no thumbnail for a 1x1 grid, and honours useThumbnail', () => {
    const img = rgbImage(500, 500);
    expect(dynamicPreprocess(img, { maxNum: 12 }).tiles.length).toBe(1);
    expect(dynamicPreprocess(rgbImage(896, 448), { maxNum: 12, useThumbnail: false }).tiles.length).toBe(2);
  });
});
