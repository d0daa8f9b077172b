// A plan turns a recorded graph into GPU objects once: intermediates placed in lifetime-shared buffers, every dispatch's
// Params packed into one uniform buffer, pipelines and bind groups created. run() then only writes inputs
// (and symbolic Params such as the decode position), encodes one compute pass and submits. A replayed decode graph
// encodes ahead: each run encodes the next one's pass right after its own submit, while the GPU works, so what a
// step costs the host before its work reaches the GPU is its writes and Dawn's submit.
import type { Gpu } from './device.js';
import { type Binding, type Dispatch, type Graph, bindingTensor } from './graph.js';
import { getPipeline, pipelineCount } from './kernel.js';
import { type Placement, placeIntermediates } from './memory.js';
import { type Tensor, byteLength, formatShape } from './tensor.js';
import { UniformArena } from './uniforms.js';
import { type WaitStats, submitted, waitFor, waitForGpu } from './wait.js';

/** A run's commands and the staging buffers its `read` tensors are copied into. */
interface Encoded {
  readonly commands: GPUCommandBuffer;
  readonly reads: [Tensor, GPUBuffer][];
}

interface EncodedDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly grid: readonly [number, number, number];
  readonly node: number;
}

export interface PlanOptions {
  /** Tensors to keep alive to the end (outputs, captures) so they can be read after the run. */
  readonly keep?: readonly Tensor[];
  /** Fill the intermediate buffers with NaN before every run so an unwritten element fails a test. */
  readonly poison?: boolean;
  readonly label?: string;
  /**
   * The wait estimate to learn into and sleep by (runtime/wait.ts). Pass one object across plans of the same
   * workload (vision passes of equal tile count, prefills scaled per token) so a freshly built plan does not
   * busy-poll through its first run.
   */
  readonly wait?: WaitStats;
  /**
   * Encode the next run's commands right after each submit, while the GPU works, so that a run's host time before
   * its submit is the input writes and the submit alone. For plans replayed run after run with the same `read`
   * tensors (a decode step); a run that reads other tensors encodes afresh.
   */
  readonly encodeAhead?: boolean;
}

export interface RunOptions {
  /** Host data for input tensors, written before the pass. */
  readonly inputs?: ReadonlyArray<readonly [Tensor, ArrayBufferView]>;
  /** Values of symbolic Params (see runtime/uniforms.ts sym()). */
  readonly symbols?: Readonly<Record<string, number>>;
  /** Tensors copied out in the same submission; returned as raw bytes. */
  readonly read?: readonly Tensor[];
}

export interface OpTiming {
  readonly name: string;
  readonly op: string;
  readonly ms: number;
  readonly gflops: number;
  readonly gbs: number;
}

export interface Plan {
  readonly graph: Graph;
  readonly placement: Placement;
  /** One buffer per placement slot. */
  readonly buffers: readonly GPUBuffer[];
  readonly dispatchCount: number;
  readonly wait: WaitStats;
  /**
   * Encode + submit + wait; resolves with the bytes of `read` tensors (by tensor name). Runs may overlap: a run
   * submitted while an earlier one is still pending reads back through its own staging buffers, and the GPU
   * executes them in submission order (a decode step goes out before the previous step's token is read).
   */
  run(options?: RunOptions): Promise<Map<string, ArrayBuffer>>;
  /** Encode + submit without waiting (for pipelining host work with the GPU). */
  submit(options?: RunOptions): void;
  /**
   * Run once with one timestamped compute pass per dispatch (needs `timestamp-query`) and return GPU ms per op
   * node, in graph order. Separate passes add a little per-dispatch overhead; use it to find where time goes.
   */
  profile(options?: RunOptions): Promise<OpTiming[]>;
  /**
   * Host ms the last run spent before its work reached the GPU: writing inputs, encoding (unless it was encoded
   * ahead) and submitting.
   */
  readonly lastHostMs: number;
  /** Host ms the last run spent encoding the next run's commands after its submit (encodeAhead; else 0). */
  readonly lastAheadMs: number;
  /** Where a tensor of this graph lives (weights/inputs: their own range; intermediates: their slot buffer). */
  rangeOf(t: Tensor): { buffer: GPUBuffer; offset: number; size: number };
  destroy(): void;
}

export function compilePlan(gpu: Gpu, graph: Graph, options: PlanOptions = {}): Plan {
  const { device } = gpu;
  const placement = placeIntermediates(graph.nodes, options.keep ?? []);
  const buffers = placement.slotBytes.map((size, i) =>
    device.createBuffer({ label: `${options.label ?? 'plan'}.slot${i}`, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST }),
  );

  const rangeOf = (t: Tensor) => {
    if (t.kind === 'intermediate') {
      const slot = placement.slotOf.get(t.id);
      if (slot === undefined) throw new Error(`[plan] ${t.name} is not produced or used by this graph`);
      return { buffer: buffers[slot]!, offset: 0, size: byteLength(t) };
    }
    if (!t.storage) throw new Error(`[plan] ${t.kind} tensor ${t.name} has no GPU storage`);
    return { buffer: t.storage.buffer, offset: t.storage.offset, size: byteLength(t) };
  };
  const resolve = (b: Binding) => {
    const t = bindingTensor(b);
    const r = rangeOf(t);
    if ('tensor' in b) {
      if (b.byteOffset + b.byteSize > r.size) throw new Error(`[plan] range ${b.byteOffset}+${b.byteSize} is outside ${t.name} (${r.size} bytes)`);
      return { buffer: r.buffer, offset: r.offset + b.byteOffset, size: b.byteSize };
    }
    return r;
  };

  const pipelinesBefore = pipelineCount(device);
  const dispatches = graph.nodes.flatMap((node, i) => node.dispatches.map((d) => ({ d, node: i })));
  const uniformAlign = gpu.limits.minUniformBufferOffsetAlignment;
  const arenaBytes = dispatches.reduce((n, { d }) => n + Math.ceil(d.kernel.iface.paramsSize / uniformAlign + 1) * uniformAlign, 0);
  const uniforms = new UniformArena(Math.max(arenaBytes, 256), uniformAlign);
  const paramOffsets = dispatches.map(({ d }) => (d.kernel.iface.paramsSize && hasUniform(d) ? uniforms.pack(d.kernel.name, d.kernel.iface, d.params) : -1));
  const uniformBuffer = device.createBuffer({ label: `${options.label ?? 'plan'}.uniforms`, size: Math.max(256, Math.ceil(uniforms.byteLength / 16) * 16), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const hasSymbols = uniforms.symbols.length > 0;
  if (!hasSymbols) device.queue.writeBuffer(uniformBuffer, 0, uniforms.bytes);

  const maxDim = gpu.limits.maxComputeWorkgroupsPerDimension;
  const encoded: EncodedDispatch[] = dispatches.map(({ d, node }, i) => {
    const name = graph.nodes[node]!.name;
    const pipeline = getPipeline(device, d.kernel, d.constants);
    const given = new Set(Object.keys(d.bindings));
    const entries: GPUBindGroupEntry[] = d.kernel.iface.bindings.map((decl) => {
      if (decl.kind === 'uniform') return { binding: decl.binding, resource: { buffer: uniformBuffer, offset: paramOffsets[i]!, size: d.kernel.iface.paramsSize } };
      const b = d.bindings[decl.name];
      if (!b) throw new Error(`[${name}] kernel ${d.kernel.name} needs binding "${decl.name}"`);
      given.delete(decl.name);
      const r = resolve(b);
      if (r.size > gpu.limits.maxStorageBufferBindingSize) {
        const t = bindingTensor(b);
        throw new Error(`[${name}] ${t.name} ${formatShape(t.shape)} binds ${r.size} bytes, over maxStorageBufferBindingSize ${gpu.limits.maxStorageBufferBindingSize}`);
      }
      return { binding: decl.binding, resource: { buffer: r.buffer, offset: r.offset, size: r.size } };
    });
    if (given.size) throw new Error(`[${name}] kernel ${d.kernel.name} has no binding(s) ${[...given].join(', ')}`);
    const bindGroup = device.createBindGroup({ label: name, layout: pipeline.getBindGroupLayout(0), entries });
    return { pipeline, bindGroup, grid: foldGrid(d.grid, maxDim, name), node };
  });

  // A plan that created pipelines pays their compilation (lavapipe JIT-compiles at first dispatch) in its first
  // run: that run must not teach a shared wait estimate, or later runs would oversleep.
  let firstRunCompiles = pipelineCount(device) > pipelinesBefore;
  const poison = options.poison ? new Uint32Array(Math.max(0, ...placement.slotBytes) / 4).fill(0x7fc00001) : undefined;
  // Readback buffers per tensor: a free list, so overlapping runs never map the same buffer twice.
  const staging = new Map<number, GPUBuffer[]>();
  const allStaging = new Set<GPUBuffer>();
  const takeStaging = (t: Tensor, size: number): GPUBuffer => {
    const free = staging.get(t.id) ?? [];
    staging.set(t.id, free);
    const found = free.findIndex((b) => b.size >= size);
    if (found >= 0) return free.splice(found, 1)[0]!;
    const buf = device.createBuffer({ label: `${t.name}.readback`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    allStaging.add(buf);
    return buf;
  };
  const giveStaging = (t: Tensor, buf: GPUBuffer) => staging.get(t.id)!.push(buf);
  const wait: WaitStats = options.wait ?? { expectedMs: 0 };
  let lastHostMs = 0;

  /** The pass and the copies of `read` into staging buffers (taken now, handed back when the run's maps are read). */
  const encode = (read: readonly Tensor[]): Encoded => {
    const encoder = device.createCommandEncoder({ label: options.label });
    const pass = encoder.beginComputePass({ label: options.label });
    let current: GPUComputePipeline | undefined;
    for (const e of encoded) {
      if (e.pipeline !== current) pass.setPipeline((current = e.pipeline));
      pass.setBindGroup(0, e.bindGroup);
      pass.dispatchWorkgroups(e.grid[0], e.grid[1], e.grid[2]);
    }
    pass.end();
    const reads: [Tensor, GPUBuffer][] = [];
    for (const t of read) {
      const r = rangeOf(t);
      const buf = takeStaging(t, r.size);
      encoder.copyBufferToBuffer(r.buffer, r.offset, buf, 0, r.size);
      reads.push([t, buf]);
    }
    return { commands: encoder.finish(), reads };
  };
  // encodeAhead: the next run's commands, encoded right after this run's submit (while the GPU works). A command
  // buffer holds no data, only which buffers to read and write, and the queue runs a submit after every writeBuffer
  // made before it, so the next run's inputs still reach it.
  let ahead: Encoded | undefined;
  let lastAheadMs = 0;
  const sameTensors = (a: readonly [Tensor, GPUBuffer][], b: readonly Tensor[]) => a.length === b.length && a.every(([t], i) => t === b[i]);

  /** Writes the run's inputs and submits its commands (the prepared ones when they read the same tensors). */
  const writeAndSubmit = (run: RunOptions) => {
    const t0 = performance.now();
    for (const [t, data] of run.inputs ?? []) {
      const r = rangeOf(t);
      if (data.byteLength > r.size) throw new Error(`[plan] input ${t.name} got ${data.byteLength} bytes, holds ${r.size}`);
      device.queue.writeBuffer(r.buffer, r.offset, data.buffer, data.byteOffset, data.byteLength);
    }
    if (hasSymbols) {
      uniforms.setSymbols(run.symbols ?? {});
      device.queue.writeBuffer(uniformBuffer, 0, uniforms.bytes);
    }
    if (poison) for (const b of buffers) device.queue.writeBuffer(b, 0, poison, 0, b.size / 4);
    const read = run.read ?? [];
    if (ahead && !sameTensors(ahead.reads, read)) {
      for (const [t, buf] of ahead.reads) giveStaging(t, buf); // encoded for other reads: never submitted
      ahead = undefined;
    }
    const { commands, reads } = ahead ?? encode(read);
    ahead = undefined;
    device.queue.submit([commands]);
    lastHostMs = performance.now() - t0;
    return reads;
  };
  /** encodeAhead: the next run's commands, once this run's submission has been taken (the GPU is busy meanwhile). */
  const encodeNext = (read: readonly Tensor[] = []) => {
    if (!options.encodeAhead) return;
    const t0 = performance.now();
    ahead = encode(read);
    lastAheadMs = performance.now() - t0;
  };

  return {
    graph,
    placement,
    buffers,
    dispatchCount: encoded.length,
    wait,
    get lastHostMs() {
      return lastHostMs;
    },
    get lastAheadMs() {
      return lastAheadMs;
    },
    rangeOf,
    submit(run = {}) {
      writeAndSubmit(run);
      encodeNext(run.read);
    },
    async run(run = {}) {
      const reads = writeAndSubmit(run);
      const submission = submitted(wait, !firstRunCompiles); // right after the submit, as waitFor's timeline needs
      firstRunCompiles = false;
      encodeNext(run.read);
      // Await the GPU once: the maps themselves (they resolve when the copies are done), else the queue.
      const out = new Map<string, ArrayBuffer>();
      try {
        await waitFor(submission, () => (reads.length ? Promise.all(reads.map(([t, buf]) => buf.mapAsync(GPUMapMode.READ, 0, byteLength(t)))) : device.queue.onSubmittedWorkDone()));
        for (const [t, buf] of reads) {
          out.set(t.name, buf.getMappedRange(0, byteLength(t)).slice(0));
          buf.unmap();
        }
      } finally {
        for (const [t, buf] of reads) giveStaging(t, buf);
      }
      return out;
    },
    async profile(run = {}) {
      if (!gpu.features.timestamps) throw new Error('[profile] this adapter has no timestamp-query');
      const count = 2 * encoded.length;
      const querySet = device.createQuerySet({ type: 'timestamp', count });
      const resolve = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const readback = device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      for (const [t, data] of run.inputs ?? []) {
        const r = rangeOf(t);
        device.queue.writeBuffer(r.buffer, r.offset, data.buffer, data.byteOffset, data.byteLength);
      }
      if (hasSymbols) {
        uniforms.setSymbols(run.symbols ?? {});
        device.queue.writeBuffer(uniformBuffer, 0, uniforms.bytes);
      }
      const encoder = device.createCommandEncoder({ label: `${options.label ?? 'plan'}.profile` });
      encoded.forEach((e, i) => {
        const pass = encoder.beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
        pass.setPipeline(e.pipeline);
        pass.setBindGroup(0, e.bindGroup);
        pass.dispatchWorkgroups(e.grid[0], e.grid[1], e.grid[2]);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, readback, 0, count * 8);
      device.queue.submit([encoder.finish()]);
      await waitForGpu(device, { expectedMs: wait.expectedMs }); // sleep through a known-long run: no busy-poll
      await readback.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      for (const b of [readback, resolve]) b.destroy();
      querySet.destroy();
      const perNode = new Map<number, number>();
      encoded.forEach((e, i) => perNode.set(e.node, (perNode.get(e.node) ?? 0) + Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1e6));
      return [...perNode].map(([i, ms]) => {
        const node = graph.nodes[i]!;
        return { name: node.name, op: node.op, ms, gflops: ms > 0 ? node.cost.flops / ms / 1e6 : 0, gbs: ms > 0 ? node.cost.bytes / ms / 1e6 : 0 };
      });
    },
    destroy() {
      for (const b of buffers) b.destroy();
      uniformBuffer.destroy();
      for (const b of allStaging) b.destroy();
    },
  };
}

function hasUniform(d: Dispatch): boolean {
  return d.kernel.iface.bindings.some((b) => b.kind === 'uniform');
}

/** Grids wider than the per-dimension limit fold x into y; kernels recover the linear index (see kernels/README.md). */
function foldGrid(grid: readonly [number, number, number], maxDim: number, name: string): [number, number, number] {
  const [x, y, z] = grid;
  if (x <= maxDim) return [x, y, z];
  if (y !== 1) throw new Error(`[${name}] grid [${grid.join(', ')}] exceeds ${maxDim} workgroups in x and cannot fold into y`);
  const ny = Math.ceil(x / maxDim);
  return [Math.ceil(x / ny), ny, z];
}
