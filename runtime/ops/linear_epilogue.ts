// What a GEMM fuses into its store (kernels/include/linear_epilogue.wgsl): y = residual + layerScale ⊙ act(x·Wᵀ + b)
// with act GELU, or silu(siluGate) ⊙ · (the up projection of a SwiGLU MLP),
// for the variants that include it (gemm_shuffle, gemm_tiled and its split-K sum).
import type { Tensor } from '../tensor.js';

export interface LinearEpilogue {
  /** f32, shaped like y. */
  readonly residual?: Tensor;
  /** f32 [N], a per-column scale of the branch (needs residual). */
  readonly layerScale?: Tensor;
  /** Exact GELU of x·Wᵀ + b. */
  readonly gelu?: boolean;
  /** f32 shaped like y: y = silu(siluGate) ⊙ (x·Wᵀ + b) (not with gelu). */
  readonly siluGate?: Tensor;
}

/** The kernel's overrides for an epilogue. */
export function epilogueConstants(e: LinearEpilogue): Record<string, boolean> {
  return { ACT_GELU: !!e.gelu, SILU_GATE: !!e.siluGate, HAS_SCALE: !!e.layerScale, HAS_RESIDUAL: !!e.residual };
}

/** The epilogue's bindings; `dummy` (any bound tensor) fills the unused slots, whose reads the overrides guard. */
export function epilogueBindings(e: LinearEpilogue, dummy: Tensor): { res: Tensor; ls: Tensor; gate: Tensor } {
  return { res: e.residual ?? dummy, ls: e.layerScale ?? dummy, gate: e.siluGate ?? dummy };
}
