// The device profile: what the adapter is (CPU rasteriser or GPU, subgroup sizes, features, limits) and, in one
// table, which kernel variant each op runs there. Ops consult `graph.profile` and nothing else, so a variant is
// chosen in exactly one place and can be forced for tests and benches (GpuOptions.profile / .variants; in Node
// the environment variables INTERNVL_PROFILE and INTERNVL_VARIANTS, read by tools/node/gpu.ts).
//
// Adding a variant: name it in OP_VARIANTS, implement its lowering in the op (runtime/ops/), test it against the
// float64 reference with the variant forced, and, once measured, make it the default of a class in DEFAULTS.

/** `cpu`: lavapipe, SwiftShader (storage loads are per-lane scalar loads; reuse in registers and subgroups).
 *  `gpu`: everything else (coalesced loads, workgroup memory, many workgroups in flight). */
export type DeviceClass = 'cpu' | 'gpu';

/** Every variant each op can run. The op falls back where a variant's needs (subgroups, shapes) are unmet. */
export const OP_VARIANTS = {
  /** linear with more than 8 rows (ViT, prefill, projector, batched decode): runtime/ops/linear.ts. */
  gemm: ['gemm8x8', 'gemm4x8', 'gemm_tiled', 'gemm_shuffle'],
  /** linear with at most 8 rows (decode) and the decode swiglu: runtime/ops/linear.ts, runtime/ops/swiglu.ts. */
  gemv: ['rows', 'coalesced', 'rows_shuffle'],
  /** prefill and ViT attention: runtime/ops/attention.ts. */
  attention: ['rows', 'blocked', 'tiled', 'gemm'],
  /** paged decode attention: runtime/ops/attention_decode.ts. */
  attention_decode: ['heads_per_thread', 'head_per_thread', 'cooperative'],
  /** where sampled tokens are drawn: model/generate.ts (greedy is always the GPU argmax). */
  sample: ['host', 'gpu'],
  /** LayerNorm (InternViT, the projector): runtime/ops/layer_norm.ts. */
  layer_norm: ['workgroup', 'subgroup_rows'],
  /** greedy decode steps submitted one ahead of the token readback, or in turn: model/generate.ts. */
  decode_pipeline: ['in_turn', 'submit_ahead'],
} as const satisfies Record<string, readonly string[]>;

export type OpName = keyof typeof OP_VARIANTS;
export type VariantOf<Op extends OpName> = (typeof OP_VARIANTS)[Op][number];
export type OpVariants = { readonly [Op in OpName]: VariantOf<Op> };

/** The one table: each class's variant per op (measured on lavapipe for `cpu`; read from the GPU kernels for `gpu`). */
export const DEFAULTS: Readonly<Record<DeviceClass, OpVariants>> = {
  cpu: { gemm: 'gemm_shuffle', gemv: 'rows_shuffle', attention: 'gemm', attention_decode: 'heads_per_thread', layer_norm: 'subgroup_rows', sample: 'host', decode_pipeline: 'in_turn' },
  gpu: { gemm: 'gemm_tiled', gemv: 'coalesced', attention: 'tiled', attention_decode: 'cooperative', layer_norm: 'workgroup', sample: 'gpu', decode_pipeline: 'submit_ahead' },
};

export interface DeviceProfile {
  readonly deviceClass: DeviceClass;
  /** adapter.info.vendor ('nvidia', 'apple', 'mesa', …), for vendor refinements; '' when unreported. */
  readonly vendor: string;
  /** The `subgroups` feature is enabled on the device. */
  readonly subgroups: boolean;
  /** Subgroup sizes the adapter may use (both 0 when unknown). Kernels never assume one size. */
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
  readonly f16: boolean;
  readonly workgroupStorageBytes: number;
  readonly maxInvocationsPerWorkgroup: number;
  readonly variants: OpVariants;
}

export interface ProfileFacts {
  readonly software: boolean;
  readonly vendor: string;
  readonly subgroups: boolean;
  readonly subgroupMinSize: number;
  readonly subgroupMaxSize: number;
  readonly f16: boolean;
  readonly workgroupStorageBytes: number;
  readonly maxInvocationsPerWorkgroup: number;
}

export interface ProfileChoice {
  /** 'auto' (default) picks `cpu` for software adapters, `gpu` otherwise. */
  readonly profile?: DeviceClass | 'auto';
  /** Per-op overrides on top of the class's table. */
  readonly variants?: Partial<Record<OpName, string>>;
}

export function buildProfile(facts: ProfileFacts, choice: ProfileChoice = {}): DeviceProfile {
  const requested = choice.profile ?? 'auto';
  if (requested !== 'auto' && !(requested in DEFAULTS)) throw new Error(`[profile] unknown profile "${String(requested)}": use cpu, gpu or auto`);
  const deviceClass: DeviceClass = requested === 'auto' ? (facts.software ? 'cpu' : 'gpu') : requested;
  const variants: Record<string, string> = { ...DEFAULTS[deviceClass] };
  for (const [op, variant] of Object.entries(choice.variants ?? {})) {
    const known = (OP_VARIANTS as Record<string, readonly string[]>)[op];
    if (!known) throw new Error(`[profile] unknown op "${op}" in the variant overrides: ops are ${Object.keys(OP_VARIANTS).join(', ')}`);
    if (variant === undefined) continue;
    if (!known.includes(variant)) throw new Error(`[profile] unknown variant "${variant}" for ${op}: choose ${known.join(', ')}`);
    variants[op] = variant;
  }
  const { software: _, ...rest } = facts;
  return { ...rest, deviceClass, variants: variants as unknown as OpVariants };
}

/** "op=variant,op=variant" (INTERNVL_VARIANTS) as overrides; an entry without '=' is an error naming it. */
export function parseVariantList(text: string): Partial<Record<OpName, string>> {
  const out: Record<string, string> = {};
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [op, variant, extra] = entry.split('=').map((s) => s.trim());
    if (!op || !variant || extra !== undefined) throw new Error(`[profile] "${entry}" in the variant list is not op=variant`);
    out[op] = variant;
  }
  return out;
}

/** One line for bench output and --verbose: the class and every op's variant. */
export function describeProfile(p: DeviceProfile): string {
  const sg = p.subgroups ? `subgroups ${p.subgroupMinSize}-${p.subgroupMaxSize}` : 'no subgroups';
  return `${p.deviceClass} (${sg}${p.f16 ? ', f16' : ''}): ${Object.entries(p.variants).map(([op, v]) => `${op}=${v}`).join(' ')}`;
}

/** A profile for graphs built without a device (reference-only tests): the `cpu` table with no features. */
export const HOST_PROFILE: DeviceProfile = buildProfile({ software: true, vendor: '', subgroups: false, subgroupMinSize: 0, subgroupMaxSize: 0, f16: false, workgroupStorageBytes: 16384, maxInvocationsPerWorkgroup: 256 });
