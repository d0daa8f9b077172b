import type { ReferenceEnv } from '../graph.js';
import type { Tensor } from '../tensor.js';
import { formatShape, numel } from '../tensor.js';

/** The reference value of a tensor; throws naming it when the interpreter has not produced it. */
export function valueOf(env: ReferenceEnv, t: Tensor): Float64Array {
  const v = env.get(t.id);
  if (!v) throw new Error(`[reference] no value for ${t.name} ${formatShape(t.shape)}`);
  if (v.length < numel(t.shape)) throw new Error(`[reference] ${t.name} has ${v.length} values, needs ${numel(t.shape)}`);
  return v;
}
