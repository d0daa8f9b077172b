// Adapter and device: the same code for Node (Dawn, via tools/node/gpu.ts) and browsers (navigator.gpu).
// Optional features are used when present and never required: NVIDIA's Linux Vulkan driver and Chromium's
// SwiftShader often lack shader-f16; compatibility-mode adapters lack subgroups and timestamps.
import { type DeviceProfile, type ProfileChoice, buildProfile } from './device_profile.js';

export interface GpuFeatures {
  readonly f16: boolean;
  readonly subgroups: boolean;
  readonly timestamps: boolean;
}

export interface Gpu {
  readonly device: GPUDevice;
  /** "vendor architecture device description" as the adapter reports it; printed on every bench line. */
  readonly adapterName: string;
  /** A CPU rasteriser (lavapipe, SwiftShader): a fact about the adapter (bench workload sizes, sampling cost). */
  readonly isSoftware: boolean;
  /** The kernel variant of every op on this device (runtime/device_profile.ts); may be forced by GpuOptions. */
  readonly profile: DeviceProfile;
  readonly features: GpuFeatures;
  readonly limits: GPUSupportedLimits;
  /** Objects that must outlive the device (Dawn's Node instance aborts the process when collected). */
  readonly keepAlive: unknown;
}

export interface GpuOptions extends ProfileChoice {
  powerPreference?: GPUPowerPreference;
  /** 'compatibility' reaches lavapipe through ANGLE in Chromium; see README. */
  featureLevel?: 'core' | 'compatibility';
  /**
   * Treat the adapter as a CPU rasteriser (kernel variants for lavapipe/SwiftShader) when its info is empty, as
   * Chromium's compatibility-mode adapter over ANGLE → lavapipe reports it.
   */
  assumeSoftware?: boolean;
  /** Disable optional features, e.g. to test the no-f16 path on an adapter that has it. */
  disable?: readonly (keyof GpuFeatures)[];
}

export const SETUP_HINT =
  'No WebGPU adapter was found. On Linux without a GPU install Mesa lavapipe >= 24 with `sudo bash tools/setup-system.sh`; ' +
  'in a browser use a WebGPU-enabled Chromium (chrome://gpu) served from http://localhost or https.';

const LIMITS_TO_MAXIMISE = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
] as const;

export async function requestGpu(gpu: GPU | undefined, options: GpuOptions = {}, keepAlive: unknown = gpu): Promise<Gpu> {
  if (!gpu) throw new Error(SETUP_HINT);
  const request: GPURequestAdapterOptions & { featureLevel?: string } = {};
  if (options.powerPreference) request.powerPreference = options.powerPreference;
  if (options.featureLevel) request.featureLevel = options.featureLevel;
  const adapter = await gpu.requestAdapter(request);
  if (!adapter) throw new Error(SETUP_HINT);

  const disabled = new Set(options.disable ?? []);
  const want = (feature: GPUFeatureName, key: keyof GpuFeatures) => !disabled.has(key) && adapter.features.has(feature);
  const features: GpuFeatures = {
    f16: want('shader-f16', 'f16'),
    subgroups: want('subgroups' as GPUFeatureName, 'subgroups'),
    timestamps: want('timestamp-query', 'timestamps'),
  };
  const requiredFeatures: GPUFeatureName[] = [];
  if (features.f16) requiredFeatures.push('shader-f16');
  if (features.subgroups) requiredFeatures.push('subgroups' as GPUFeatureName);
  if (features.timestamps) requiredFeatures.push('timestamp-query');

  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS_TO_MAXIMISE) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') console.error(`[gpu] device lost: ${info.message}`);
  });
  const info = adapter.info;
  const adapterName = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  const isSoftware =
    options.assumeSoftware ?? ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/i.test(adapterName));
  const sizes = info as { subgroupMinSize?: number; subgroupMaxSize?: number };
  const profile = buildProfile(
    {
      software: isSoftware,
      vendor: info.vendor ?? '',
      subgroups: features.subgroups,
      subgroupMinSize: features.subgroups ? (sizes.subgroupMinSize ?? 0) : 0,
      subgroupMaxSize: features.subgroups ? (sizes.subgroupMaxSize ?? 0) : 0,
      f16: features.f16,
      workgroupStorageBytes: device.limits.maxComputeWorkgroupStorageSize,
      maxInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
    },
    options,
  );
  return { device, adapterName, isSoftware, profile, features, limits: device.limits, keepAlive };
}
