// The device profile: class from the adapter, the one variant table, forcing by option and environment, clear
// errors for unknown names, and ops that take their kernel from the profile and nothing else.
import { describe, expect, it } from 'vitest';
import { DEFAULTS, OP_VARIANTS, buildProfile, describeProfile, parseVariantList, type ProfileFacts } from '../runtime/device_profile.js';
import { Graph } from '../runtime/graph.js';
import { attention } from '../runtime/ops/attention.js';
import { linear } from '../runtime/ops/linear.js';
import { makeTensor } from '../runtime/tensor.js';
import { nodeGpu, profileFromEnv } from '../tools/node/gpu.js';

const facts = (software: boolean): ProfileFacts => ({ software, vendor: 'v', subgroups: true, subgroupMinSize: 8, subgroupMaxSize: 8, f16: false, workgroupStorageBytes: 32768, maxInvocationsPerWorkgroup: 256 });
const LIMITS = { maxStorageBufferBindingSize: 1 << 27, maxComputeWorkgroupsPerDimension: 65535, minStorageBufferOffsetAlignment: 256 };

describe('device profile', () => {
  it('auto picks cpu for software adapters and gpu otherwise; a forced class wins', () => {
    expect(buildProfile(facts(true)).deviceClass).toBe('cpu');
    expect(buildProfile(facts(false)).deviceClass).toBe('gpu');
    expect(buildProfile(facts(true), { profile: 'gpu' }).variants).toEqual(DEFAULTS.gpu);
    expect(buildProfile(facts(false), { profile: 'cpu' }).variants).toEqual(DEFAULTS.cpu);
  });

  it('every default names a known variant', () => {
    for (const table of Object.values(DEFAULTS)) {
      for (const [op, v] of Object.entries(table)) expect(OP_VARIANTS[op as keyof typeof OP_VARIANTS] as readonly string[]).toContain(v);
    }
  });

  it('per-op overrides apply on top of the class; unknown ops and variants are clear errors', () => {
    const p = buildProfile(facts(true), { variants: { attention: 'rows', gemm: 'gemm4x8' } });
    expect(p.variants).toEqual({ ...DEFAULTS.cpu, attention: 'rows', gemm: 'gemm4x8' });
    expect(() => buildProfile(facts(true), { variants: { gemm: 'fast' } })).toThrow('unknown variant "fast" for gemm: choose gemm8x8, gemm4x8');
    expect(() => buildProfile(facts(true), { variants: { conv: 'x' } as never })).toThrow(/unknown op "conv"/);
    expect(() => buildProfile(facts(true), { profile: 'tpu' as never })).toThrow(/unknown profile "tpu"/);
    expect(describeProfile(p)).toContain('attention=rows');
  });

  it('reads INTERNVL_PROFILE and INTERNVL_VARIANTS', () => {
    expect(profileFromEnv({ INTERNVL_PROFILE: 'gpu', INTERNVL_VARIANTS: 'gemm=gemm8x8, attention=blocked' })).toEqual({ profile: 'gpu', variants: { gemm: 'gemm8x8', attention: 'blocked' } });
    expect(profileFromEnv({})).toEqual({});
    expect(() => parseVariantList('gemm')).toThrow(/"gemm" in the variant list is not op=variant/);
  });

  it('ops take their kernels from the profile', () => {
    const kernelsOf = (profile: ReturnType<typeof buildProfile>) => {
      const g = new Graph(LIMITS, profile);
      const x = makeTensor('x', [64, 32], 'f32', 'input');
      const w = makeTensor('w', [48, 32], 'bf16', 'weight');
      const y = linear(g, x, w, undefined, 'y');
      attention(g, y, y, y, { heads: 3, kvHeads: 3, headDim: 16, causal: false, scale: 1 }, 'a');
      attention(g, y, y, y, { heads: 3, kvHeads: 3, headDim: 16, causal: true, scale: 1 }, 'c');
      return g.nodes.map((n) => `${n.dispatches[0]!.kernel.name}:${n.dispatches[0]!.constants?.TM ?? ''}`);
    };
    // the cpu profile's 'gemm' attention: non-causal only, causal runs the blocked kernel
    expect(kernelsOf(buildProfile(facts(true)))).toEqual(['linear_shuffle:', 'attention_scores:', 'attention_blocked:']);
    expect(kernelsOf(buildProfile(facts(false)))).toEqual(['linear_tiled:4', 'attention_tiled:', 'attention_tiled:']);
  });

  it('the test device reports its profile (lavapipe: cpu with subgroups unless disabled)', async () => {
    const gpu = await nodeGpu();
    const forced = process.env.INTERNVL_PROFILE;
    expect(gpu.profile.deviceClass).toBe(forced && forced !== 'auto' ? forced : gpu.isSoftware ? 'cpu' : 'gpu');
    const plain = await nodeGpu({ disable: ['subgroups'], profile: 'gpu' });
    expect(plain.profile.subgroups).toBe(false);
    expect(plain.profile.deviceClass).toBe('gpu');
    plain.device.destroy();
  });
});
