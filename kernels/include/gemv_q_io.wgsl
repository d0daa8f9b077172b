// The bindings and params of the quantized decode GEMVs (kernels/include/gemv_q.wgsl for linear_vec_q{,_shuffle},
// and linear_vec_q_split_k), which runtime/ops/linear_quant.ts binds alike: x f32 rows (from the dispatch's first),
// the codes w and scales s of this dispatch's row chunk (s bound whole, s_row its first row), SWIGLU's up codes and
// scales, bias, residual (rows placed by m_off), the norm weight, y (row stride y_stride, columns from y_col); and
// the overrides they share: XM rows of x, QBITS 4 or 8, and which of the epilogues and the prologue run.
override XM: u32 = 1;
override QBITS: u32 = 4;
override HAS_BIAS: bool = false;
override HAS_RESIDUAL: bool = false;
override NORM: bool = false;
override SWIGLU: bool = false;
struct Params { m_off: u32, n: u32, k: u32, y_stride: u32, y_col: u32, b_off: u32, s_row: u32, eps: f32 }

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> s: array<u32>;
@group(0) @binding(3) var<storage, read> wu: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read> su: array<u32>;
@group(0) @binding(5) var<storage, read> b: array<f32>;
@group(0) @binding(6) var<storage, read> res: array<f32>;
@group(0) @binding(7) var<storage, read> norm_w: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> y: array<f32>;
@group(0) @binding(9) var<uniform> params: Params;
