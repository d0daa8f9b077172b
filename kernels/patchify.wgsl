// patchify: patches[b·G² + gy·G + gx, c·p² + ky·p + kx] = pixels[b, c, gy·p + ky, gx·p + kx],  G = size / p
// Turns Conv2d(C → D, kernel = stride = p) into a linear: the columns follow patch_embedding.weight [D, C, p, p]
// flattened, so y = patches · W[D, C·p²]ᵀ + bias is the conv output in token order t = gy·G + gx.
// Threads: one thread per output element (row-major over [B·G², C·p²]); the linear index folds the grid's y into x.
// Reference: runtime/reference/data.ts patchify. Upstream: InternVisionEmbeddings.patch_embedding
// (modeling_intern_vit.py) followed by flatten(2).transpose(1, 2).
// Limits: size % p == 0 (checked by the builder); B·G²·C·p² ≤ 65535·65535·WG.
override WG: u32 = 256;

struct Params { batch: u32, channels: u32, size: u32, patch_size: u32 }

@group(0) @binding(0) var<storage, read> pixels: array<f32>;
@group(0) @binding(1) var<storage, read_write> patches: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  let p = params.patch_size;
  let grid = params.size / p;
  let k = params.channels * p * p;
  if (i >= params.batch * grid * grid * k) { return; }
  let row = i / k;
  let col = i % k;
  let b = row / (grid * grid);
  let gy = (row / grid) % grid;
  let gx = row % grid;
  let c = col / (p * p);
  let ky = (col / p) % p;
  let kx = col % p;
  patches[i] = pixels[((b * params.channels + c) * params.size + gy * p + ky) * params.size + gx * p + kx];
}
