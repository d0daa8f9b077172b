// Every kernel in kernels/ parses (bindings + Params), stays within WebGPU's default of 10 storage buffers per
// stage, and compiles into a pipeline with its default constants,
// and every .wgsl has a descriptor that the runtime can load.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHADERS } from '../kernels/shaders.gen.js';
import { defineKernel, getPipeline } from '../runtime/kernel.js';
import { getGpu } from './harness.js';

const dir = join(import.meta.dirname, '..', 'kernels');
const names = readdirSync(dir).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5));

describe('kernels compile', () => {
  it('the generated shader table is current', () => {
    expect(Object.keys(SHADERS).sort()).toEqual([...names].sort());
  });
  for (const name of names) {
    it(name, async () => {
      const gpu = await getGpu();
      const kernel = defineKernel({ name });
      expect(kernel.iface.bindings.length).toBeGreaterThan(0);
      // WebGPU's default maxStorageBuffersPerShaderStage: browsers enforce it (Dawn on lavapipe allows more)
      expect(kernel.iface.bindings.filter((x) => x.kind !== 'uniform').length, 'storage bindings').toBeLessThanOrEqual(10);
      gpu.device.pushErrorScope('validation');
      getPipeline(gpu.device, kernel);
      const error = await gpu.device.popErrorScope();
      expect(error?.message ?? '').toBe('');
      expect(readdirSync(dir)).toContain(`${name}.ts`);
    });
  }
});
