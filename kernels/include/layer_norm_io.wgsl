// The interface of both LayerNorm kernels (kernels/layer_norm.wgsl, kernels/layer_norm_rows.wgsl), which
// runtime/ops/layer_norm.ts binds alike: x f32 [rows, cols], w and b f32 [cols], y f32 like x.
struct Params { rows: u32, cols: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
