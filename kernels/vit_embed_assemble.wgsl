// vit_embed_assemble: y[b, 0, c]     = cls[c] + pos[0, c]
//                     y[b, 1 + t, c] = patches[b, t, c] + pos[1 + t, c]     → y [B, N + 1, D]
// Prepends the CLS token to the patch-embedding output and adds the position embedding (for the trained image size
// the bicubic resize of the 32×32 position grid is the identity, so pos is used as stored).
// Threads: one thread per output element (row-major over [B, N + 1, D]); the linear index folds the grid's y into x.
// Reference: runtime/reference/data.ts vitEmbedAssemble. Upstream: InternVisionEmbeddings.forward
// (torch.cat([class_embeds, patch_embeds], dim=1) + position_embedding, modeling_intern_vit.py).
// Limits: B·(N + 1)·D ≤ 65535·65535·WG; cls has D values, pos (N + 1)·D.
override WG: u32 = 256;

struct Params { batch: u32, tokens: u32, dim: u32 }

@group(0) @binding(0) var<storage, read> patches: array<f32>;
@group(0) @binding(1) var<storage, read> cls: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let n1 = params.tokens + 1u;
  if (i >= params.batch * n1 * params.dim) { return; }
  let c = i % params.dim;
  let bt = i / params.dim;
  let b = bt / n1;
  let r = bt % n1; // 0 = CLS, 1 + t = patch t
  var v: f32;
  if (r == 0u) {
    v = cls[c];
  } else {
    v = patches[(b * params.tokens + r - 1u) * params.dim + c];
  }
  y[i] = v + pos[r * params.dim + c];
}
