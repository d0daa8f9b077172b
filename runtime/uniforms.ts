// Packs every dispatch's Params into one arena (one writeBuffer per run). Fields are filled by name;
// a field may be a symbol whose value is supplied at run time (decode position, KV length).
import type { KernelInterface } from './wgsl_interface.js';

/** A Params value supplied at run time: `value = scale * symbols[name] + bias`. */
export interface Sym {
  readonly sym: string;
  readonly scale?: number;
  readonly bias?: number;
}

export type ParamValue = number | Sym;

export function sym(name: string, scale = 1, bias = 0): Sym {
  return { sym: name, scale, bias };
}

interface SymSlot {
  readonly wordIndex: number;
  readonly type: 'u32' | 'i32' | 'f32';
  readonly value: Sym;
}

export class UniformArena {
  private readonly words: ArrayBuffer;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f32: Float32Array;
  private readonly symSlots: SymSlot[] = [];
  private used = 0;

  constructor(private readonly capacity: number, private readonly alignment: number) {
    this.words = new ArrayBuffer(capacity);
    this.u32 = new Uint32Array(this.words);
    this.i32 = new Int32Array(this.words);
    this.f32 = new Float32Array(this.words);
  }

  get byteLength(): number {
    return this.used;
  }

  get bytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(this.words, 0, Math.max(this.used, 16));
  }

  get symbols(): string[] {
    return [...new Set(this.symSlots.map((s) => s.value.sym))];
  }

  /** Reserve and fill one Params struct; returns its byte offset. */
  pack(kernelName: string, iface: KernelInterface, values: Readonly<Record<string, ParamValue>>): number {
    const offset = Math.ceil(this.used / this.alignment) * this.alignment;
    if (offset + iface.paramsSize > this.capacity) throw new Error(`[uniforms] arena of ${this.capacity} bytes is full`);
    this.used = offset + iface.paramsSize;
    const given = new Set(Object.keys(values));
    for (const field of iface.params) {
      const v = values[field.name];
      if (v === undefined) throw new Error(`[kernel ${kernelName}] missing Params field "${field.name}"`);
      given.delete(field.name);
      const wordIndex = (offset + field.offset) / 4;
      if (typeof v === 'number') this.write(wordIndex, field.type, v, kernelName, field.name);
      else this.symSlots.push({ wordIndex, type: field.type, value: v });
    }
    if (given.size) throw new Error(`[kernel ${kernelName}] unknown Params field(s): ${[...given].join(', ')}`);
    return offset;
  }

  /** Fill the symbolic fields; throws naming a symbol that has no value. */
  setSymbols(values: Readonly<Record<string, number>>): void {
    for (const slot of this.symSlots) {
      const s = values[slot.value.sym];
      if (s === undefined) throw new Error(`[uniforms] no value for symbol "${slot.value.sym}"`);
      this.write(slot.wordIndex, slot.type, (slot.value.scale ?? 1) * s + (slot.value.bias ?? 0), 'symbol', slot.value.sym);
    }
  }

  private write(wordIndex: number, type: 'u32' | 'i32' | 'f32', v: number, kernelName: string, field: string): void {
    if (type === 'f32') this.f32[wordIndex] = v;
    else {
      if (!Number.isInteger(v)) throw new Error(`[kernel ${kernelName}] Params.${field} must be an integer, got ${v}`);
      if (type === 'u32') {
        if (v < 0 || v > 0xffffffff) throw new Error(`[kernel ${kernelName}] Params.${field} = ${v} is out of u32 range`);
        this.u32[wordIndex] = v;
      } else this.i32[wordIndex] = v;
    }
  }
}
