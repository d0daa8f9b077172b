// Included by the GEMMs that share an operand along a row of 8 threads by subgroupShuffle (linear_shuffle,
// attention_scores, attention_pv): where the 8 threads of a row of the 8×8 workgroup sit in their subgroup. The
// shuffles need them at lanes base … base + 7 in tx order. That holds where subgroups are consecutive
// local_invocation_index ranges of ≥ 8 lanes (lavapipe: 8; most GPUs: 32 or 64), but WGSL promises nothing, so every
// thread checks it for its own row; a subgroup in which any check fails (size 4 as on SwiftShader, another lane
// order), or SHARE_X = false, loads the operand per thread instead. The choice is subgroup-uniform (subgroupAll),
// which is all subgroupShuffle needs. The including kernel enables `subgroups` and declares WG (8), RA (rows per
// thread) and SHARE_X.
struct RowLanes { base: u32, sharing: bool }

fn row_lanes(tx: u32, lidx: u32, lane: u32, lanes: u32) -> RowLanes {
  var ok = SHARE_X && lanes >= WG && lane >= tx && lane - tx + WG <= lanes;
  let base = select(0u, lane - tx, ok);
  for (var t = 0u; t < WG; t++) { ok = ok && subgroupShuffle(lidx, base + t) == lidx - tx + t; }
  return RowLanes(base, subgroupAll(ok));
}

/**
 * Row groups i (rows first + ty + 8·i) of a workgroup's tile that hold a row, of `total`: all RA but in the last tile
 * of rows (1025 rows: 1 of 16), whose empty groups the kernels skip. Workgroup-uniform, so a guard costs a branch.
 */
fn live_row_groups(total: u32, first: u32) -> u32 {
  return min(RA, (total - first + WG - 1u) / WG);
}
