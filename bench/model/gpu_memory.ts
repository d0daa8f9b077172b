// A small tracker of GPU allocations: wraps device.createBuffer so every buffer's size is counted until it is
// destroyed, and keeps the peak. Read-only with respect to the runtime (nothing in runtime/ changes); on a
// software adapter "GPU memory" is host memory, so peak RSS is reported beside it.
export interface GpuMemoryTracker {
  readonly liveBytes: number;
  readonly peakBytes: number;
  /** Start a new peak window from the current live bytes. */
  resetPeak(): void;
}

export function trackGpuMemory(device: GPUDevice): GpuMemoryTracker {
  let live = 0;
  let peak = 0;
  const create = device.createBuffer.bind(device);
  device.createBuffer = (desc: GPUBufferDescriptor): GPUBuffer => {
    const buffer = create(desc);
    const size = desc.size;
    live += size;
    peak = Math.max(peak, live);
    let destroyed = false;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      if (!destroyed) live -= size;
      destroyed = true;
      destroy();
    };
    return buffer;
  };
  return {
    get liveBytes() {
      return live;
    },
    get peakBytes() {
      return peak;
    },
    resetPeak() {
      peak = live;
    },
  };
}
