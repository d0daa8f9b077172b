// Reads a kernel's interface from its WGSL text: the `@group(0) @binding(n) var<…> name` declarations and
// the fields of `struct Params`. The WGSL is the single source of truth; callers bind and fill by name.

export type BindingKind = 'storage-read' | 'storage-rw' | 'uniform';

export interface BindingDecl {
  readonly name: string;
  readonly binding: number;
  readonly kind: BindingKind;
}

export type ParamType = 'u32' | 'i32' | 'f32';

export interface ParamField {
  readonly name: string;
  readonly type: ParamType;
  /** Byte offset inside the uniform struct (WGSL uniform layout: 4-byte scalars, no padding between). */
  readonly offset: number;
}

export interface KernelInterface {
  readonly bindings: readonly BindingDecl[];
  readonly params: readonly ParamField[];
  /** Size of `struct Params` rounded up to 16 bytes (uniform buffer rule). */
  readonly paramsSize: number;
}

const BINDING_RE = /@group\(0\)\s*@binding\((\d+)\)\s*var(?:<([^>]+)>)?\s+(\w+)\s*:/g;
const PARAMS_RE = /struct\s+Params\s*\{([^}]*)\}/;

export function parseKernelInterface(kernelName: string, wgsl: string): KernelInterface {
  const source = wgsl.replace(/\/\/[^\n]*/g, '');
  const bindings: BindingDecl[] = [];
  for (const m of source.matchAll(BINDING_RE)) {
    const space = (m[2] ?? '').replace(/\s+/g, '');
    const kind: BindingKind =
      space === 'uniform' ? 'uniform' : space === 'storage,read_write' ? 'storage-rw' : space.startsWith('storage') ? 'storage-read' : fail(kernelName, `binding ${m[3]} has unsupported address space <${space}>`);
    bindings.push({ name: m[3]!, binding: Number(m[1]), kind });
  }
  const params: ParamField[] = [];
  const struct = PARAMS_RE.exec(source);
  if (struct) {
    let offset = 0;
    for (const raw of struct[1]!.split(',')) {
      const field = raw.trim();
      if (!field) continue;
      const fm = /^(\w+)\s*:\s*(\w+)$/.exec(field);
      if (!fm || !['u32', 'i32', 'f32'].includes(fm[2]!)) fail(kernelName, `Params field "${field}" must be a u32, i32 or f32 scalar`);
      params.push({ name: fm![1]!, type: fm![2] as ParamType, offset });
      offset += 4;
    }
  }
  const paramsSize = Math.max(16, Math.ceil((params.length * 4) / 16) * 16);
  const uniformCount = bindings.filter((b) => b.kind === 'uniform').length;
  if (uniformCount > 1) fail(kernelName, 'only one uniform binding (params) is supported');
  if (uniformCount === 1 && !struct) fail(kernelName, 'has a uniform binding but no struct Params');
  return { bindings, params, paramsSize };
}

function fail(kernelName: string, message: string): never {
  throw new Error(`[kernel ${kernelName}] ${message}`);
}
