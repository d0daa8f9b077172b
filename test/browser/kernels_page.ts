// The kernel test files of test/kernels/ (unchanged) running inside the page against their float64 references,
// on the page's WebGPU adapter. Driven by test/browser/browser.test.ts through window.kernelTests.
/// <reference types="vite/client" />
import { nodeGpu } from './gpu_shim.js';
import { type TestResult, runCollected, takeCollected } from './vitest_shim.js';

const files = import.meta.glob('../kernels/*.test.ts');

export interface KernelTestApi {
  files(): string[];
  adapter(): Promise<{ name: string; f16: boolean; featureLevel: string; invocations: number; storageBuffers: number }>;
  /** Runs one test file; `skip` and `only` are RegExp sources matched against 'describe > it' names. */
  run(file: string, filter?: { skip?: readonly string[]; only?: readonly string[] | null }): Promise<TestResult[]>;
}

const api: KernelTestApi = {
  files: () => Object.keys(files).map((f) => f.replace(/^.*\//, '').replace(/\.test\.ts$/, '')),
  async adapter() {
    const gpu = await nodeGpu();
    return {
      name: gpu.adapterName,
      f16: gpu.features.f16,
      featureLevel: new URLSearchParams(location.search).get('adapter') === 'compat' ? 'compatibility' : 'core',
      invocations: gpu.limits.maxComputeInvocationsPerWorkgroup,
      storageBuffers: gpu.limits.maxStorageBuffersPerShaderStage,
    };
  },
  async run(file, filter = {}) {
    const load = files[`../kernels/${file}.test.ts`];
    if (!load) throw new Error(`no kernel test file ${file}`);
    takeCollected();
    await load();
    const tests = takeCollected();
    const gpu = await nodeGpu();
    const errors: string[] = [];
    gpu.device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
    const skip = (filter.skip ?? []).map((r) => new RegExp(r));
    const only = filter.only?.map((r) => new RegExp(r));
    // `only` lists representative cases; a file none of them names (a new kernel) runs its first case.
    const listed = (n: string) => !only || only.some((r) => r.test(n)) || (!tests.some((t) => only.some((r) => r.test(t.name))) && n === tests[0]?.name);
    const results = await runCollected(tests, (n) => !skip.some((r) => r.test(n)) && listed(n));
    if (errors.length) results.push({ name: `${file}: uncaptured WebGPU errors`, ok: false, ms: 0, error: errors.slice(0, 3).join(' | ') });
    document.getElementById('out')!.textContent += `\n${file}: ${results.filter((r) => r.ok).length}/${results.length}`;
    return results;
  },
};
(window as unknown as { kernelTests: KernelTestApi }).kernelTests = api;
document.getElementById('out')!.textContent = 'ready';
