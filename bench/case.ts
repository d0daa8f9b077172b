// A kernel benchmark case: builds a graph at a real shape on the bench device. Weights are created on the
// device but left zero-filled: timing does not depend on values (no data-dependent control flow).
import type { Gpu } from '../runtime/device.js';
import type { Graph } from '../runtime/graph.js';
import type { Tensor } from '../runtime/tensor.js';
import type { DType } from '../runtime/dtype.js';
import { createTensor } from '../runtime/upload.js';

export interface BenchCase {
  readonly op: string;
  /** Shape name from bench/shapes.ts plus anything that tells variants apart. */
  readonly name: string;
  readonly variant?: string;
  /** Run with the smart GPU wait off (runtime/wait.ts), to show what it gains. */
  readonly smartWait?: boolean;
  readonly build: (g: Graph, bench: BenchContext) => Tensor[];
}

export interface BenchContext {
  readonly gpu: Gpu;
  /** A device tensor (weight or input) that the runner frees after the case. */
  tensor(name: string, shape: readonly number[], dtype?: DType): Tensor;
}

export { createTensor };
