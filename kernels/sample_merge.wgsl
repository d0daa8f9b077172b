// sample_merge: cand_out[b, g, 0..KC) = the first KC items, in sampling order (key desc, index asc), of the union
// of the sorted lists cand_in[b, 4g .. 4g+3, 0..KC) (missing lists count as empty). Repeated until one list per
// row remains, this is the exact top-KC of the row.
// Threads: one workgroup of WG per (row, group of 4 lists) (linear index, folded grid); bitonic sort of 4·KC items
// in workgroup memory.
// Reference: runtime/reference/sample.ts sampleRows (runtime/sampler.ts sampleToken, the sorted candidate list).
// Limits: KC = 256; items are (key, index) with key 0 = excluded and index 0xffffffff = padding.
override WG: u32 = 256;
const CHUNK: u32 = 1024u;
const KC: u32 = 256u;

struct Params { rows: u32, lists_in: u32, lists_out: u32 }

@group(0) @binding(0) var<storage, read> cand_in: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> cand_out: array<vec2<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> sk: array<u32, CHUNK>;
var<workgroup> si: array<u32, CHUNK>;

fn before(ka: u32, ia: u32, kb: u32, ib: u32) -> bool {
  return ka > kb || (ka == kb && ia < ib);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lin = wid.y * nwg.x + wid.x;
  if (lin >= params.rows * params.lists_out) { return; }
  let row = lin / params.lists_out;
  let first = (lin % params.lists_out) * 4u;
  for (var t = lid; t < CHUNK; t += WG) {
    let l = first + t / KC;
    var item = vec2<u32>(0u, 0xffffffffu);
    if (l < params.lists_in) { item = cand_in[(row * params.lists_in + l) * KC + t % KC]; }
    sk[t] = item.x;
    si[t] = item.y;
  }
  workgroupBarrier();
  for (var size = 2u; size <= CHUNK; size <<= 1u) {
    for (var j = size >> 1u; j > 0u; j >>= 1u) {
      for (var t = lid; t < CHUNK / 2u; t += WG) {
        let a = (t / j) * 2u * j + (t % j);
        let b = a + j;
        let ka = sk[a]; let ia = si[a]; let kb = sk[b]; let ib = si[b];
        let swap = select(before(ka, ia, kb, ib), before(kb, ib, ka, ia), (a & size) == 0u);
        if (swap) { sk[a] = kb; si[a] = ib; sk[b] = ka; si[b] = ia; }
      }
      workgroupBarrier();
    }
  }
  for (var t = lid; t < KC; t += WG) { cand_out[lin * KC + t] = vec2<u32>(sk[t], si[t]); }
}
