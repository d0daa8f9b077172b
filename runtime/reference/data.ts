// Float64 references for data movement and selection: gathers, layout changes, scatters, argmax.
// Shapes are flat row-major arrays; each function's comment gives its layout.

/** Embedding lookup: y[t, :] = table[ids[t], :].  table [V, H], ids [T] → [T, H]; an id ≥ V gives a zero row. */
export function embedding(table: ArrayLike<number>, ids: ArrayLike<number>, vocab: number, hidden: number): Float64Array {
  const y = new Float64Array(ids.length * hidden);
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    if (id >= vocab) continue;
    for (let c = 0; c < hidden; c++) y[t * hidden + c] = table[id * hidden + c]!;
  }
  return y;
}

/**
 * Conv2d(kernel = stride = p) as a linear: pixels [B, C, S, S] → patches [B·G², C·p·p], G = S/p; row b·G² + gy·G + gx,
 * column c·p² + ky·p + kx (the order of patch_embedding.weight [D, C, p, p] flattened).
 */
export function patchify(pixels: ArrayLike<number>, batch: number, channels: number, size: number, patch: number): Float64Array {
  const g = size / patch, k = channels * patch * patch;
  const y = new Float64Array(batch * g * g * k);
  for (let b = 0; b < batch; b++)
    for (let gy = 0; gy < g; gy++)
      for (let gx = 0; gx < g; gx++)
        for (let c = 0; c < channels; c++)
          for (let ky = 0; ky < patch; ky++)
            for (let kx = 0; kx < patch; kx++)
              y[((b * g + gy) * g + gx) * k + (c * patch + ky) * patch + kx] = pixels[((b * channels + c) * size + gy * patch + ky) * size + gx * patch + kx]!;
  return y;
}

/** InternVisionEmbeddings tail: out[b, 0] = cls + pos[0]; out[b, 1 + t] = patches[b, t] + pos[1 + t].  → [B, N+1, D]. */
export function vitEmbedAssemble(patches: ArrayLike<number>, cls: ArrayLike<number>, pos: ArrayLike<number>, batch: number, tokens: number, dim: number): Float64Array {
  const n1 = tokens + 1;
  const y = new Float64Array(batch * n1 * dim);
  for (let b = 0; b < batch; b++)
    for (let r = 0; r < n1; r++)
      for (let c = 0; c < dim; c++) {
        const v = r === 0 ? cls[c]! : patches[(b * tokens + r - 1) * dim + c]!;
        y[(b * n1 + r) * dim + c] = v + pos[r * dim + c]!;
      }
  return y;
}

/** A contiguous tensor of source indices, for replaying PyTorch view/permute sequences. */
interface IndexTensor {
  shape: number[];
  data: Int32Array;
}

function view(t: IndexTensor, shape: number[]): IndexTensor {
  if (shape.reduce((a, b) => a * b, 1) !== t.data.length) throw new Error(`[pixel_shuffle] view [${t.shape}] → [${shape}]`);
  return { shape, data: t.data };
}

/** permute(...).contiguous() */
function permute(t: IndexTensor, dims: number[]): IndexTensor {
  const shape = dims.map((d) => t.shape[d]!);
  const inStrides = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const data = new Int32Array(t.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < data.length; o++) {
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += idx[i]! * inStrides[dims[i]!]!;
    data[o] = t.data[src]!;
    for (let i = shape.length - 1; i >= 0 && ++idx[i]! === shape[i]!; i--) idx[i] = 0;
  }
  return { shape, data };
}

/**
 * For each element of the pixel-shuffle output [B, (G/2)², 4C], its flat index in the input [B, 1 + G², C], found by
 * replaying InternVLChatModel.extract_feature + pixel_shuffle (ps_version 'v2', scale 0.5) on index arrays:
 *   x = x[:, 1:, :].reshape(B, G, G, C)
 *   x = x.view(n, w, h·s, c/s); x = x.permute(0, 2, 1, 3).contiguous()
 *   x = x.view(n, h·s, w·s, c/(s·s)); x = x.permute(0, 2, 1, 3).contiguous()   (v2)
 *   x = x.reshape(B, -1, 4C)
 */
export function pixelShuffleSource(batch: number, grid: number, channels: number): Int32Array {
  const n1 = 1 + grid * grid;
  const data = new Int32Array(batch * grid * grid * channels);
  for (let b = 0, o = 0; b < batch; b++) for (let t = 1; t < n1; t++) for (let c = 0; c < channels; c++) data[o++] = (b * n1 + t) * channels + c;
  const h = grid / 2;
  let x: IndexTensor = { shape: [batch, grid, grid, channels], data };
  x = view(x, [batch, grid, h, 2 * channels]);
  x = permute(x, [0, 2, 1, 3]);
  x = view(x, [batch, h, h, 4 * channels]);
  x = permute(x, [0, 2, 1, 3]);
  return view(x, [batch, h * h, 4 * channels]).data;
}

/** Pixel shuffle v2 with the CLS token dropped: [B, 1 + G², C] → [B, (G/2)², 4C] (see pixelShuffleSource). */
export function pixelShuffle(x: ArrayLike<number>, batch: number, grid: number, channels: number): Float64Array {
  const src = pixelShuffleSource(batch, grid, channels);
  return Float64Array.from(src, (s) => x[s]!);
}

/** y = x with rows[i] replaced by src[i, :] (later entries win on repeats; rows ≥ T are skipped).  x [T, H], src [N, H]. */
export function scatterRows(x: ArrayLike<number>, src: ArrayLike<number>, rows: ArrayLike<number>, tokens: number, hidden: number): Float64Array {
  const y = Float64Array.from(x);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r >= tokens) continue;
    for (let c = 0; c < hidden; c++) y[r * hidden + c] = src[i * hidden + c]!;
  }
  return y;
}

/** torch.argmax over the last dim: first index of the maximum; NaN counts as larger than everything.  x [B, V] → [B]. */
export function argmax(x: ArrayLike<number>, batch: number, vocab: number): Float64Array {
  const y = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let v = 1; v < vocab; v++) {
      const a = x[b * vocab + v]!, m = x[b * vocab + best]!;
      if (Number.isNaN(m)) break;
      if (Number.isNaN(a) || a > m) best = v;
    }
    y[b] = best;
  }
  return y;
}
