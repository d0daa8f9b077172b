// The runtime's own invariants: WGSL interface parsing, Params packing, the planner, grid folding, chunking,
// and that the harness's poisoning makes an unwritten element fail.
import { describe, expect, it } from 'vitest';
import { rmsNormKernel } from '../kernels/rms_norm.js';
import { Graph, rowChunks } from '../runtime/graph.js';
import { placeIntermediates } from '../runtime/memory.js';
import { rmsNorm } from '../runtime/ops/rms_norm.js';
import { makeTensor } from '../runtime/tensor.js';
import { UniformArena, sym } from '../runtime/uniforms.js';
import { parseKernelInterface } from '../runtime/wgsl_interface.js';
import { rmsNorm as refRmsNorm } from '../runtime/reference/norms.js';
import { TestGraph, checkGraph, expectClose, getGpu, rng } from './harness.js';
import { TOL } from './tolerances.js';

const LIMITS = { maxStorageBufferBindingSize: 134217728, maxComputeWorkgroupsPerDimension: 65535, minStorageBufferOffsetAlignment: 256 };

describe('wgsl interface', () => {
  it('reads bindings and Params from the WGSL', () => {
    const iface = rmsNormKernel.iface;
    expect(iface.bindings.map((b) => [b.name, b.binding, b.kind])).toEqual([
      ['x', 0, 'storage-read'], ['w', 1, 'storage-read'], ['y', 2, 'storage-rw'], ['params', 3, 'uniform'],
    ]);
    expect(iface.params).toEqual([
      { name: 'rows', type: 'u32', offset: 0 }, { name: 'cols', type: 'u32', offset: 4 }, { name: 'eps', type: 'f32', offset: 8 },
    ]);
    expect(iface.paramsSize).toBe(16);
  });
  it('rejects Params fields it cannot pack', () => {
    expect(() => parseKernelInterface('k', 'struct Params { a: vec3<f32> }\n@group(0) @binding(0) var<uniform> params: Params;')).toThrow(/\[kernel k\] Params field "a: vec3<f32>"/);
  });
});

describe('uniform arena', () => {
  it('packs by name, aligns each struct, fills symbols at run time', () => {
    const arena = new UniformArena(1024, 256);
    const a = arena.pack('k', rmsNormKernel.iface, { rows: 3, cols: 7, eps: 0.5 });
    const b = arena.pack('k', rmsNormKernel.iface, { rows: sym('n', 2, 1), cols: 9, eps: 1e-6 });
    expect([a, b]).toEqual([0, 256]);
    arena.setSymbols({ n: 10 });
    const u32 = new Uint32Array(arena.bytes.buffer);
    const f32 = new Float32Array(arena.bytes.buffer);
    expect([u32[0], u32[1], f32[2]]).toEqual([3, 7, 0.5]);
    expect([u32[64], u32[65]]).toEqual([21, 9]);
  });
  it('names a missing, unknown or out-of-range field', () => {
    const arena = new UniformArena(1024, 256);
    expect(() => arena.pack('rms_norm', rmsNormKernel.iface, { rows: 1, cols: 1 })).toThrow(/missing Params field "eps"/);
    expect(() => arena.pack('rms_norm', rmsNormKernel.iface, { rows: 1, cols: 1, eps: 1, extra: 2 })).toThrow(/unknown Params field\(s\): extra/);
    expect(() => arena.pack('rms_norm', rmsNormKernel.iface, { rows: -1, cols: 1, eps: 1 })).toThrow(/out of u32 range/);
    arena.pack('rms_norm', rmsNormKernel.iface, { rows: sym('p'), cols: 1, eps: 1 });
    expect(() => arena.setSymbols({})).toThrow(/no value for symbol "p"/);
  });
});

describe('planner', () => {
  it('never overlaps two tensors that are alive at once, and reuses memory', () => {
    const g = new Graph(LIMITS);
    const w = makeTensor('w', [64], 'f32', 'weight');
    let x = makeTensor('x', [8, 64], 'f32', 'input');
    for (let i = 0; i < 12; i++) x = rmsNorm(g, x, w, 1e-6, `n${i}`);
    const placement = placeIntermediates(g.nodes, [x]);
    const live = g.nodes.map((n) => n.outputs[0]!);
    for (let i = 1; i < live.length; i++) {
      // producer and consumer are alive at the same op: never the same buffer
      expect(placement.slotOf.get(live[i - 1]!.id)).not.toBe(placement.slotOf.get(live[i]!.id));
    }
    expect(placement.slotBytes.length).toBe(2);
    expect(placement.arenaBytes).toBeLessThan(placement.naiveBytes / 3);
  });
  it('keeps captured tensors alive to the end', () => {
    const g = new Graph(LIMITS);
    const w = makeTensor('w', [64], 'f32', 'weight');
    const x0 = makeTensor('x', [8, 64], 'f32', 'input');
    const first = rmsNorm(g, x0, w, 1e-6, 'first');
    let x = first;
    for (let i = 0; i < 6; i++) x = rmsNorm(g, x, w, 1e-6, `n${i}`);
    const placement = placeIntermediates(g.nodes, [first, x]);
    const kept = placement.slotOf.get(first.id);
    for (const n of g.nodes.slice(1)) expect(placement.slotOf.get(n.outputs[0]!.id)).not.toBe(kept);
  });
});

describe('row chunks', () => {
  it('splits the real lm_head [151655, 896] bf16 into aligned chunks under 128 MiB', () => {
    const w = makeTensor('lm_head', [151655, 896], 'bf16', 'weight');
    const chunks = rowChunks(LIMITS, w);
    expect(chunks.length).toBe(3);
    expect(chunks.reduce((n, c) => n + c.rows, 0)).toBe(151655);
    for (const c of chunks) {
      expect(c.byteOffset % 256).toBe(0);
      expect(c.byteSize).toBeLessThanOrEqual(LIMITS.maxStorageBufferBindingSize);
      expect(c.byteOffset).toBe(c.rowStart * 1792);
    }
  });
  it('keeps a small weight whole', () => {
    expect(rowChunks(LIMITS, makeTensor('w', [4864, 896], 'bf16', 'weight'))).toEqual([{ rowStart: 0, rows: 4864, byteOffset: 0, byteSize: 4864 * 1792 }]);
  });
});

describe('graph errors', () => {
  it('names the op and the shapes', () => {
    const g = new Graph(LIMITS);
    const x = makeTensor('h', [5, 896], 'f32', 'input');
    const w = makeTensor('norm.weight', [1024], 'f32', 'weight');
    expect(() => rmsNorm(g, x, w, 1e-6, 'y')).toThrow('[rms_norm] weight must be [C] with C = last dim of x (h [5, 896] f32, norm.weight [1024] f32)');
  });
  it('refuses an intermediate over the binding limit', () => {
    const g = new Graph(LIMITS);
    expect(() => g.tensor('big', [13 * 1025, 4096])).toThrow(/over this device's maxStorageBufferBindingSize/);
  });
});

describe('execution', () => {
  it('chains ops through planned buffers (an op never reads and writes one buffer)', async () => {
    const tg = new TestGraph(await getGpu());
    const r = rng(11);
    const x = tg.tensor('x', [5, 24], 'f32', r.normal(120));
    const w = tg.tensor('w', [24], 'f32', r.uniform(24, 0.5, 1.5));
    let y = x;
    for (let i = 0; i < 5; i++) y = rmsNorm(tg.g, y, w, 1e-6, `n${i}`);
    await checkGraph(tg, [y], TOL.reduction, 'chain');
  });
  it('a kernel that leaves elements unwritten fails the comparison (poisoned buffers)', async () => {
    const tg = new TestGraph(await getGpu());
    const r = rng(7);
    const x = tg.tensor('x', [9, 16], 'f32', r.normal(144));
    const w = tg.tensor('w', [16], 'f32', r.uniform(16, 0.5, 1.5));
    const y = rmsNorm(tg.g, x, w, 1e-6, 'y');
    const node = tg.g.nodes[0]!;
    (node as { dispatches: unknown }).dispatches = [{ ...node.dispatches[0]!, params: { ...node.dispatches[0]!.params, rows: 8 } }];
    await expect(checkGraph(tg, [y], TOL.reduction, 'sabotaged')).rejects.toThrow(/16\/144 elements out of tolerance/);
  });
  it('folds a grid wider than 65535 workgroups into y', async () => {
    const tg = new TestGraph(await getGpu());
    const rows = 70_000;
    const r = rng(3);
    const x = tg.tensor('x', [rows, 1], 'f32', r.normal(rows));
    const w = tg.tensor('w', [1], 'f32', [2]);
    const y = rmsNorm(tg.g, x, w, 1e-6, 'y');
    await checkGraph(tg, [y], TOL.reduction, 'folded grid');
  });
  it('replays a plan with new symbolic Params without rebuilding', async () => {
    const gpu = await getGpu();
    const tg = new TestGraph(gpu);
    const x = tg.tensor('x', [4, 8], 'f32', rng(1).normal(32));
    const w = tg.tensor('w', [8], 'f32', new Array(8).fill(1));
    const y = rmsNorm(tg.g, x, w, 1e-6, 'y');
    const node = tg.g.nodes[0]!;
    (node as { dispatches: unknown }).dispatches = [{ ...node.dispatches[0]!, params: { ...node.dispatches[0]!.params, eps: sym('eps') } }];
    const { compilePlan } = await import('../runtime/plan.js');
    const plan = compilePlan(gpu, tg.g, { keep: [y] });
    const a = new Float32Array((await plan.run({ read: [y], symbols: { eps: 1e-6 } })).get('y')!);
    const b = new Float32Array((await plan.run({ read: [y], symbols: { eps: 1e6 } })).get('y')!);
    expect(Math.abs(a[0]!)).toBeGreaterThan(100 * Math.abs(b[0]!));
    plan.destroy();
  });
  it('encodes the next run ahead: every run sees its own inputs, and a run reading other tensors encodes afresh', async () => {
    const gpu = await getGpu();
    const tg = new TestGraph(gpu);
    const rows = 3, cols = 20, r = rng(5);
    const x = tg.tensor('x', [rows, cols], 'f32', new Array(rows * cols).fill(0), 'input');
    const w1 = r.uniform(cols, 0.5, 1.5), w2 = r.uniform(cols, 0.5, 1.5);
    const y1 = rmsNorm(tg.g, x, tg.tensor('w1', [cols], 'f32', w1), 1e-6, 'y1');
    const y2 = rmsNorm(tg.g, y1, tg.tensor('w2', [cols], 'f32', w2), 1e-6, 'y2');
    const { compilePlan } = await import('../runtime/plan.js');
    const plan = compilePlan(gpu, tg.g, { keep: [y1, y2], poison: true, encodeAhead: true });
    const reads = [[y2], [y2], [y1, y2], [y2], [y1], [y1]];
    // Encoders made per run: 1 (the next run's) where the previous run prepared this run's pass for the same reads,
    // 2 where the pass is encoded in line too (the first run, and every change of reads).
    const encodersPerRun = [2, 1, 2, 2, 2, 1];
    const createEncoder = gpu.device.createCommandEncoder;
    let encoders = 0;
    gpu.device.createCommandEncoder = (d?: GPUCommandEncoderDescriptor) => (encoders++, createEncoder.call(gpu.device, d));
    try {
      for (const [i, read] of reads.entries()) {
        const xs = Float32Array.from(rng(100 + i).normal(rows * cols));
        encoders = 0;
        const bytes = await plan.run({ inputs: [[x, xs]], read });
        expect(encoders, `run ${i}: command encoders`).toBe(encodersPerRun[i]);
        expect(plan.lastAheadMs, `run ${i} encoded the next one`).toBeGreaterThan(0);
        const want1 = refRmsNorm(xs, w1.map(Math.fround), rows, cols, 1e-6);
        const want2 = refRmsNorm(want1, w2.map(Math.fround), rows, cols, 1e-6);
        expect([...bytes.keys()].sort()).toEqual(read.map((t) => t.name).sort());
        if (read.includes(y1)) expectClose(`run ${i} y1`, new Float32Array(bytes.get('y1')!), want1, TOL.reduction);
        if (read.includes(y2)) expectClose(`run ${i} y2`, new Float32Array(bytes.get('y2')!), want2, TOL.reduction);
      }
    } finally {
      gpu.device.createCommandEncoder = createEncoder;
    }
    plan.destroy();
    const once = compilePlan(gpu, tg.g, { keep: [y2] });
    await once.run({ inputs: [[x, new Float32Array(rows * cols).fill(1)]], read: [y2] });
    expect(once.lastAheadMs, 'a plan without encodeAhead encodes nothing after its submit').toBe(0);
    once.destroy();
  });
});
