import { describe, it } from 'vitest';
import { linear } from '../../runtime/ops/linear.js';
import { patchify, vitEmbedAssemble } from '../../runtime/ops/vit_embeddings.js';
import { reshape } from '../../runtime/tensor.js';
import { TestGraph, checkGraph, expectClose, getGpu, rng } from '../harness.js';
import { TOL } from '../tolerances.js';

// patchify [B, C, S, p]: degenerate, odd (prime patch, 2 tiles), the real InternViT tile (3 × 448², p 14 → [1024, 588])
const PATCHIFY: [number, number, number, number][] = [[1, 1, 1, 1], [2, 3, 15, 5], [1, 2, 14, 7], [1, 3, 448, 14]];
// assemble [B, N, D]: degenerate, odd, the real tile (1024 patches, D 1024) for 2 tiles
const ASSEMBLE: [number, number, number][] = [[1, 1, 1], [3, 7, 5], [2, 1024, 1024]];

describe('patchify', () => {
  for (const [B, C, S, p] of PATCHIFY) {
    it(`pixels [${B}, ${C}, ${S}, ${S}], p ${p}`, async () => {
      const tg = new TestGraph(await getGpu());
      const pixels = tg.tensor('pixels', [B, C, S, S], 'f32', rng(S * 10 + p).normal(B * C * S * S, 1), 'input');
      await checkGraph(tg, [patchify(tg.g, pixels, p, 'patches')], TOL.exact, `patchify [${B}, ${C}, ${S}, ${S}] p ${p}`);
    });
  }

  it('patchify + linear equals Conv2d(kernel = stride = p) with bias (2 × 3 × 28², p 7, D 16)', async () => {
    const [B, C, S, p, D] = [2, 3, 28, 7, 16];
    const G = S / p, K = C * p * p;
    const r = rng(99);
    const gpu = await getGpu();
    const tg = new TestGraph(gpu);
    const pixels = tg.tensor('pixels', [B, C, S, S], 'f32', r.normal(B * C * S * S, 1), 'input');
    const patches = patchify(tg.g, pixels, p, 'patches');
    const w = tg.tensor('patch_embedding.weight', [D, C, p, p], 'bf16', r.normal(D * K, 0.1));
    const bias = tg.tensor('patch_embedding.bias', [D], 'f32', r.normal(D, 0.1));
    const y = linear(tg.g, patches, reshape(w, [D, K]), bias, 'conv');
    const { got } = await tg.run([y]);
    const [px, wv, bv] = [tg.env.get(pixels.id)!, tg.env.get(w.id)!, tg.env.get(bias.id)!];
    // direct convolution: out[b, gy·G + gx, o] = bias[o] + Σ W[o, c, ky, kx] · img[b, c, gy·p + ky, gx·p + kx]
    const want = new Float64Array(B * G * G * D);
    for (let b = 0; b < B; b++)
      for (let gy = 0; gy < G; gy++)
        for (let gx = 0; gx < G; gx++)
          for (let o = 0; o < D; o++) {
            let s = bv[o]!;
            for (let c = 0; c < C; c++)
              for (let ky = 0; ky < p; ky++)
                for (let kx = 0; kx < p; kx++) s += wv[((o * C + c) * p + ky) * p + kx]! * px[((b * C + c) * S + gy * p + ky) * S + gx * p + kx]!;
            want[((b * G + gy) * G + gx) * D + o] = s;
          }
    expectClose('conv as patchify + linear', got.get(y)!, want, TOL.matmul);
  });
});

describe('vit_embed_assemble', () => {
  for (const [B, N, D] of ASSEMBLE) {
    it(`patches [${B}·${N}, ${D}]`, async () => {
      const r = rng(B * 1000 + N + D);
      const tg = new TestGraph(await getGpu());
      const patches = tg.tensor('patches', [B * N, D], 'f32', r.normal(B * N * D, 1));
      const cls = tg.tensor('class_embedding', [1, 1, D], 'f32', r.normal(D, 1));
      const pos = tg.tensor('position_embedding', [1, N + 1, D], 'f32', r.normal((N + 1) * D, 1));
      const y = vitEmbedAssemble(tg.g, patches, cls, pos, B, 'embeddings');
      await checkGraph(tg, [y], TOL.elementwise, `vit_embed_assemble [${B}, ${N}, ${D}]`);
    });
  }
});
