// scatter_rows: y = x with y[rows[i], :] = src[i, :] for i < n_src   (x, y [tokens, hidden]; src [n_src, hidden])
// Two dispatches of this kernel in one pass: SCATTER = false copies x into y (one thread per element of y), then
// SCATTER = true overwrites the listed rows (one thread per element of src). Out of place so the planner sees y as a
// new tensor; copying tokens·hidden floats is cheap next to the layers that follow.
// Reference: runtime/reference/data.ts scatterRows. Upstream: InternVLChatModel.chat/generate,
// input_embeds[selected] = vit_embeds (the IMG_CONTEXT positions in order; modeling_internvl_chat.py).
// Limits: rows must be distinct (repeats race on the GPU); rows[i] ≥ tokens is skipped (the host checks rows it
// knows); element counts ≤ 65535·65535·WG. In the copy pass src/rows are bound but not read, and vice versa.
override WG: u32 = 256;
override SCATTER: bool = false;

struct Params { tokens: u32, hidden: u32, n_src: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (!SCATTER) {
    if (i < params.tokens * params.hidden) { y[i] = x[i]; }
    return;
  }
  if (i >= params.n_src * params.hidden) { return; }
  let r = rows[i / params.hidden];
  if (r >= params.tokens) { return; }
  y[r * params.hidden + i % params.hidden] = src[i];
}
