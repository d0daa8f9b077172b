// q_proj, k_proj and v_proj of every Qwen2 layer joined into one `qkv_proj` at load (vLLM's QKVParallelLinear):
// rows [q; k; v] of the three [out, in] weights and their biases, so a layer projects q, k and v in one linear —
// one dispatch instead of three, and in decode one GEMV launch that fills the GPU three times better for k and v.
// The three originals are freed; the model reads q, k and v as column views of the one output. Browser-safe.
import type { Gpu } from '../runtime/device.js';
import { type Tensor, byteLength, formatShape } from '../runtime/tensor.js';
import { createQuantizedTensor, destroyWeight, isQuantized } from '../runtime/quant_tensor.js';
import { createTensor } from '../runtime/upload.js';

const PARTS = ['q_proj', 'k_proj', 'v_proj'] as const;

/** Returns the tensor map with `…self_attn.qkv_proj.{weight,bias}` in place of the q/k/v projections. */
export async function fuseQkvProjections(gpu: Gpu, tensors: ReadonlyMap<string, Tensor>): Promise<Map<string, Tensor>> {
  const out = new Map(tensors);
  const encoder = gpu.device.createCommandEncoder({ label: 'fuse-qkv' });
  const freed: Tensor[] = [];
  for (const name of tensors.keys()) {
    const m = /^(language_model\.model\.layers\.\d+\.self_attn)\.q_proj\.weight$/.exec(name);
    if (!m) continue;
    const prefix = m[1]!;
    for (const kind of ['weight', 'bias'] as const) {
      const parts = PARTS.map((p) => tensors.get(`${prefix}.${p}.${kind}`));
      if (parts.every((t) => t === undefined)) continue;
      const missing = PARTS.filter((_, i) => !parts[i]);
      if (missing.length) throw new Error(`[weights] ${prefix} has ${kind}s for some of q/k/v_proj but not ${missing.join(', ')}`);
      const [q, k, v] = parts as Tensor[];
      const cols = q!.shape.slice(1);
      const same = [k!, v!].every((t) => t.dtype === q!.dtype && t.shape.length === q!.shape.length && t.shape.slice(1).every((d, i) => d === cols[i]));
      if (!same) throw new Error(`[weights] ${prefix}: q/k/v_proj ${kind}s differ in dtype or width (${[q!, k!, v!].map((t) => `${t.dtype} ${formatShape(t.shape)}`).join(', ')})`);
      if ([q!, k!, v!].some((t) => byteLength(t) % 4 !== 0)) throw new Error(`[weights] ${prefix}: q/k/v_proj ${kind}s are not whole 4-byte words (odd hidden size?)`);
      const rows = q!.shape[0]! + k!.shape[0]! + v!.shape[0]!;
      const name = `${prefix}.qkv_proj.${kind}`;
      const fused = isQuantized(q!) ? createQuantizedTensor(gpu, name, q!.dtype, rows, cols[0]!) : createTensor(gpu, name, [rows, ...cols], q!.dtype, 'weight');
      // rows [q; k; v]: the codes and (quantized) the scales, each a row-major [rows, …] concatenation
      const offsets = [0, 0];
      PARTS.forEach((p, i) => {
        const t = parts[i]!;
        [t, t.scales].forEach((src, j) => {
          const dst = j === 0 ? fused : fused.scales;
          if (!src || !dst) return;
          if (byteLength(src) % 4 !== 0) throw new Error(`[weights] ${prefix}: ${src.name} is not whole 4-byte words`);
          encoder.copyBufferToBuffer(src.storage!.buffer, src.storage!.offset, dst.storage!.buffer, dst.storage!.offset + offsets[j]!, byteLength(src));
          offsets[j]! += byteLength(src);
        });
        out.delete(`${prefix}.${p}.${kind}`);
        freed.push(t);
      });
      out.set(fused.name, fused);
    }
  }
  gpu.device.queue.submit([encoder.finish()]);
  await gpu.device.queue.onSubmittedWorkDone();
  for (const t of freed) destroyWeight(t);
  return out;
}
