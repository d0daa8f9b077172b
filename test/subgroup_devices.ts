// The two devices every subgroup-using kernel is tested on: the shared test device (lavapipe exposes subgroups,
// size 8) and one with the feature disabled (the fallback paths), destroyed after its describe.
import { afterAll, beforeAll, expect } from 'vitest';
import type { Gpu } from '../runtime/device.js';
import { nodeGpu } from '../tools/node/gpu.js';
import { getGpu } from './harness.js';

export type SubgroupLabel = 'subgroups' | 'no subgroups';

/**
 * Calls `body` once per device, with the device's label and a `use` that registers the describe's hooks: call it
 * first thing inside `describe`; it hands the device to `set` before the first test.
 */
export function forEachSubgroupDevice(body: (label: SubgroupLabel, use: (set: (gpu: Gpu) => void) => void) => void): void {
  const devices: [SubgroupLabel, () => Promise<Gpu>][] = [
    ['subgroups', getGpu],
    ['no subgroups', () => nodeGpu({ disable: ['subgroups'] })],
  ];
  for (const [label, make] of devices) {
    body(label, (set) => {
      let gpu: Gpu | undefined;
      beforeAll(async () => {
        gpu = await make();
        expect(gpu.profile.subgroups).toBe(label === 'subgroups');
        set(gpu);
      });
      afterAll(() => {
        if (label !== 'subgroups') gpu?.device.destroy(); // the shared test device stays for the other files
      });
    });
  }
}
