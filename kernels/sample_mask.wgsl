// sample_mask: seen[b, w] = OR over j of (1 << (id & 31)) for every id = prev_ids[b, j] < V with id >> 5 == w.
// The repetition-penalty membership bitmap of each row (HF applies the penalty once per distinct token, so a
// set is exactly what is needed; duplicates and the 0xffffffff sentinel of empty slots are harmless).
// Threads: one workgroup per row; it clears the row's ⌈V/32⌉ words, then sets one bit per listed id (atomicOr).
// Reference: runtime/reference/sample.ts sampleRows (runtime/sampler.ts applyRepetitionPenalty). Upstream:
// transformers RepetitionPenaltyLogitsProcessor.
// Limits: rows ≤ 65535·65535 (grid folded); any prev_len; ids ≥ V (the sentinel included) are ignored.
override WG: u32 = 256;

struct Params { rows: u32, vocab: u32, words: u32, prev_len: u32 }

@group(0) @binding(0) var<storage, read> prev_ids: array<u32>;
@group(0) @binding(1) var<storage, read_write> seen: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.rows) { return; }
  let base = row * params.words;
  for (var w = lid; w < params.words; w += WG) { atomicStore(&seen[base + w], 0u); }
  storageBarrier();
  for (var j = lid; j < params.prev_len; j += WG) {
    let id = prev_ids[row * params.prev_len + j];
    if (id < params.vocab) { atomicOr(&seen[base + (id >> 5u)], 1u << (id & 31u)); }
  }
}
