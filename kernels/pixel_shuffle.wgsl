// pixel_shuffle (ps_version v2, scale 0.5, CLS dropped): x [B, 1 + G², C] → y [B, (G/2)², 4C] with, for output token
// t = (G/2)·i + j and channel k = dy·2C + dx·C + c (dy, dx ∈ {0, 1}, c < C):
//   y[b, t, k] = x[b, 1 + (2i + dy)·G + (2j + dx), c]
// i.e. the four patches of each 2×2 block concatenated as (2i, 2j), (2i, 2j+1), (2i+1, 2j), (2i+1, 2j+1).
// Threads: one thread per output element (row-major over y); the linear index folds the grid's y into x.
// Reference: runtime/reference/data.ts pixelShuffle (which replays the upstream view/permute sequence).
// Upstream: InternVLChatModel.pixel_shuffle + extract_feature (vit_embeds[:, 1:, :]) in modeling_internvl_chat.py.
// Limits: G even (checked by the builder); B·(G/2)²·4C ≤ 65535·65535·WG.
override WG: u32 = 256;

struct Params { batch: u32, grid: u32, channels: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.y * nwg.x + wid.x) * WG + lid;
  let C = params.channels;
  let G = params.grid;
  let half = G / 2u;
  let width = 4u * C;
  if (idx >= params.batch * half * half * width) { return; }
  let k = idx % width;
  let bt = idx / width;
  let t = bt % (half * half);
  let b = bt / (half * half);
  let bi = t / half;
  let bj = t % half;
  let dy = k / (2u * C);
  let dx = (k / C) % 2u;
  let c = k % C;
  let src_token = 1u + (2u * bi + dy) * G + (2u * bj + dx);
  y[idx] = x[(b * (1u + G * G) + src_token) * C + c];
}
