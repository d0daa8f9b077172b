// embedding: y[t, c] = table[ids[t], c]   (bf16 table widened exactly to f32; QBITS 4 or 8: a q4/q8 table,
// runtime/quant.ts, each value its code times its group's f16 scale from `scales` [vocab, hidden/32] bound whole —
// exact in f32 — and hidden % 32 == 0; QBITS 16: bf16, scales a dummy)
// One dispatch per row chunk of the table (runtime/graph.ts rowChunks: embed_tokens [151655, 896] bf16 is 272 MB,
// over a 128 MiB binding): `table` is bound to rows [row_start, row_start + chunk_rows) and a thread writes its
// element only when ids[t] falls in that range. Ids ≥ vocab are written as zeros by the dispatch with
// row_start = 0 (so every row of y is written exactly once); the host rejects such ids where it knows them.
// Threads: one thread per output element i = t·hidden + c; the linear index folds the grid's y into x.
// Reference: runtime/reference/data.ts embedding. Upstream: nn.Embedding embed_tokens (Qwen2Model, modeling_qwen2.py).
// Limits: tokens·hidden ≤ 65535·65535·WG; table element e of the chunk is the (e & 1) half of word e >> 1, so the
// chunk must start on an even element (rowChunks guarantees it: chunked rows are whole u32 words).
override WG: u32 = 256;
override QBITS: u32 = 16u;

struct Params { tokens: u32, hidden: u32, vocab: u32, row_start: u32, chunk_rows: u32 }

@group(0) @binding(0) var<storage, read> table: array<u32>;
@group(0) @binding(1) var<storage, read> ids: array<u32>;
@group(0) @binding(2) var<storage, read> scales: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.tokens * params.hidden) { return; }
  let t = i / params.hidden;
  let c = i % params.hidden;
  let id = ids[t];
  if (id >= params.vocab) {
    if (params.row_start == 0u) { y[i] = 0.0; }
    return;
  }
  if (id < params.row_start || id - params.row_start >= params.chunk_rows) { return; }
  let e = (id - params.row_start) * params.hidden + c;
  if (QBITS != 16u) {
    var code: f32;
    if (QBITS == 4u) {
      code = f32((table[e >> 3u] >> (4u * (e & 7u))) & 15u) - 8.0;
    } else {
      code = f32(bitcast<i32>(table[e >> 2u] << (24u - 8u * (e & 3u))) >> 24u);
    }
    let si = id * (params.hidden / 32u) + c / 32u;
    let pair = unpack2x16float(scales[si >> 1u]);
    y[i] = code * select(pair.x, pair.y, (si & 1u) == 1u);
    return;
  }
  let word = table[e >> 1u];
  y[i] = select(bitcast<f32>(word << 16u), bitcast<f32>(word & 0xffff0000u), (e & 1u) == 1u);
}
