// A graph is the list of ops a forward pass records. Op builders (runtime/ops/*.ts) check shapes, create the
// output tensors, lower themselves to kernel dispatches, and attach their float64 reference. Nothing runs
// until a plan (runtime/plan.ts) places the intermediates and encodes the whole graph into one pass.
import { type DeviceProfile, HOST_PROFILE } from './device_profile.js';
import { type DType, DTYPE_BYTES } from './dtype.js';
import type { Constants, Kernel } from './kernel.js';
import { type BufferRange, type Tensor, byteLength, formatShape, makeTensor, numel } from './tensor.js';
import type { ParamValue } from './uniforms.js';

/** A tensor bound whole, or a byte range of it (a row chunk of a weight over the binding limit). */
export type Binding = Tensor | { readonly tensor: Tensor; readonly byteOffset: number; readonly byteSize: number };

export interface Dispatch {
  readonly kernel: Kernel;
  readonly constants?: Constants;
  readonly bindings: Readonly<Record<string, Binding>>;
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Workgroup counts; the plan folds x over maxComputeWorkgroupsPerDimension into y. */
  readonly grid: readonly [number, number, number];
}

export interface Cost {
  readonly flops: number;
  readonly bytes: number;
}

/** Host values of every tensor the reference has computed, keyed by tensor id (float64 math, f32-sized arrays). */
export type ReferenceEnv = Map<number, Float64Array>;

export interface OpNode {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly Tensor[];
  readonly outputs: readonly Tensor[];
  readonly dispatches: readonly Dispatch[];
  readonly cost: Cost;
  /** Computes the outputs from the inputs in float64 (runtime/reference/). */
  readonly reference: (env: ReferenceEnv) => void;
}

export interface GraphLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly minStorageBufferOffsetAlignment: number;
}

export class Graph {
  readonly nodes: OpNode[] = [];
  private readonly named = new Map<string, Tensor>();

  /** `profile`: the device's variant table (runtime/device_profile.ts), which every op consults. */
  constructor(readonly limits: GraphLimits, readonly profile: DeviceProfile = HOST_PROFILE) {}

  /** A new intermediate tensor; its storage is assigned when the graph is planned. */
  tensor(name: string, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const t = makeTensor(name, shape, dtype, 'intermediate');
    const bytes = byteLength(t);
    if (bytes > this.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `[${name}] ${formatShape(shape)} ${dtype} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize ` +
          `(${this.limits.maxStorageBufferBindingSize}); run fewer rows per pass`,
      );
    }
    return t;
  }

  add(node: OpNode): void {
    for (const t of node.outputs) this.named.set(t.name, t);
    this.nodes.push(node);
  }

  /** The tensor an op produced under this name (for captures and readback). */
  get(name: string): Tensor {
    const t = this.named.get(name);
    if (!t) throw new Error(`[graph] no tensor named "${name}"`);
    return t;
  }

  get names(): string[] {
    return [...this.named.keys()];
  }
}

export function bindingTensor(b: Binding): Tensor {
  return 'tensor' in b ? b.tensor : b;
}

/** Throws `[op] message` with the shapes involved, in the style of ggml's asserts. */
export function check(cond: boolean, op: string, message: string, ...tensors: Tensor[]): asserts cond {
  if (!cond) {
    const shapes = tensors.map((t) => `${t.name} ${formatShape(t.shape)} ${t.dtype}`).join(', ');
    throw new Error(`[${op}] ${message}${shapes ? ` (${shapes})` : ''}`);
  }
}

export function checkDtype(op: string, t: Tensor, allowed: readonly DType[]): void {
  check(allowed.includes(t.dtype), op, `${t.name} must be ${allowed.join(' or ')}, got ${t.dtype}`, t);
}

/** Row chunks of a 2-D weight so that each chunk fits one binding and starts on an aligned offset. */
export function rowChunks(limits: GraphLimits, w: Tensor): { rowStart: number; rows: number; byteOffset: number; byteSize: number }[] {
  const [rows, cols] = [w.shape[0]!, numel(w.shape.slice(1))];
  const rowBytes = cols * DTYPE_BYTES[w.dtype];
  const total = byteLength(w);
  if (total <= limits.maxStorageBufferBindingSize) return [{ rowStart: 0, rows, byteOffset: 0, byteSize: total }];
  if (!Number.isInteger(rowBytes) || rowBytes % 4 !== 0) {
    throw new Error(`[${w.name}] rows of ${rowBytes} bytes cannot be split into u32-aligned chunks`);
  }
  const align = limits.minStorageBufferOffsetAlignment;
  const step = align / gcd(rowBytes, align); // rows per aligned unit
  const maxRows = Math.floor(limits.maxStorageBufferBindingSize / rowBytes / step) * step;
  if (maxRows < 1) throw new Error(`[${w.name}] a single row exceeds maxStorageBufferBindingSize`);
  const chunks = [];
  for (let r = 0; r < rows; r += maxRows) {
    const n = Math.min(maxRows, rows - r);
    chunks.push({ rowStart: r, rows: n, byteOffset: r * rowBytes, byteSize: Math.ceil((n * rowBytes) / 4) * 4 });
  }
  return chunks;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export type { BufferRange };
