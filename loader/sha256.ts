// Incremental SHA-256 (FIPS 180-4) in plain TS, for verifying LFS downloads where node:crypto is absent.
// Browsers have crypto.subtle.digest, but it is one-shot: a 1.9 GB checkpoint would have to sit in memory.
// Node plugs node:crypto instead (tools/node/hf_cache.ts); both sit behind `Hasher`.

/** A streaming hash: feed chunks in order, then read the hex digest once. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  /** Lower-case hex digest; the hasher must not be used afterwards. */
  digestHex(): string;
}

export type HasherFactory = () => Hasher;

// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

export class Sha256 implements Hasher {
  private readonly h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  private readonly w = new Uint32Array(64);
  private readonly block = new Uint8Array(64); // pending bytes of a partial block
  private pending = 0;
  private length = 0; // total bytes fed; exact up to 2^53
  private finished = false;

  update(chunk: Uint8Array): void {
    if (this.finished) throw new Error('Sha256: update() after digestHex()');
    this.length += chunk.byteLength;
    let i = 0;
    if (this.pending > 0) {
      const take = Math.min(64 - this.pending, chunk.byteLength);
      this.block.set(chunk.subarray(0, take), this.pending);
      this.pending += take;
      i = take;
      if (this.pending < 64) return;
      this.compress(this.block, 0);
      this.pending = 0;
    }
    for (; i + 64 <= chunk.byteLength; i += 64) this.compress(chunk, i);
    this.block.set(chunk.subarray(i), 0);
    this.pending = chunk.byteLength - i;
  }

  digestHex(): string {
    if (this.finished) throw new Error('Sha256: digestHex() called twice');
    const bits = this.length * 8;
    // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit big-endian integer.
    const pad = new Uint8Array(((this.pending < 56 ? 56 : 120) - this.pending) + 8);
    pad[0] = 0x80;
    const view = new DataView(pad.buffer);
    view.setUint32(pad.length - 8, Math.floor(bits / 2 ** 32));
    view.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    this.finished = true;
    return Array.from(this.h, (x) => x.toString(16).padStart(8, '0')).join('');
  }

  private compress(bytes: Uint8Array, at: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const j = at + 4 * t;
      w[t] = ((bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!) >>> 0;
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!;
      const b = w[t - 2]!;
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }
    const h = this.h;
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let t = 0; t < 64; t++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (k + s1 + ch + K[t]! + w[t]!) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0;
      d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0; h[1] = (h[1]! + b) >>> 0; h[2] = (h[2]! + c) >>> 0; h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0; h[5] = (h[5]! + f) >>> 0; h[6] = (h[6]! + g) >>> 0; h[7] = (h[7]! + k) >>> 0;
  }
}

export const sha256Hasher: HasherFactory = () => new Sha256();

export function sha256Hex(bytes: Uint8Array): string {
  const hasher = new Sha256();
  hasher.update(bytes);
  return hasher.digestHex();
}
