// The iteration order of a CPython (3.8+, 64-bit) `set` of 2-tuples of small non-negative ints.
// The card builds its candidate grids as `sorted(set(...), key=i*j)`, so the order inside one
// product comes from the set's hash table. That order never changes which grid wins (SPEC §9.1),
// but reproducing it keeps our candidate list identical to the reference's, element for element.
// Emulates tuplehash (xxHash-style, Objects/tupleobject.c) and set_add_entry / set_table_resize /
// set_insert_clean (Objects/setobject.c): open addressing, 9 linear probes, then perturbed probing.

const M64 = (1n << 64n) - 1n;
const XXPRIME_1 = 11400714785074694791n;
const XXPRIME_2 = 14029467366897019727n;
const XXPRIME_5 = 2870177450012600261n;
const LINEAR_PROBES = 9;
const PERTURB_SHIFT = 5n;
const SET_MINSIZE = 8;

/** hash((a, b)) as an unsigned 64-bit value; hash(n) == n for small non-negative ints. */
export function pyTupleHash(items: readonly number[]): bigint {
  let acc = XXPRIME_5;
  for (const item of items) {
    acc = (acc + BigInt(item) * XXPRIME_2) & M64;
    acc = ((acc << 31n) | (acc >> 33n)) & M64;
    acc = (acc * XXPRIME_1) & M64;
  }
  acc = (acc + (BigInt(items.length) ^ (XXPRIME_5 ^ 3527539n))) & M64;
  return acc === M64 ? 1546275796n : acc; // -1 is reserved for errors
}

interface Slot { key: string; hash: bigint; value: [number, number] }

/** Probe sequence shared by set_add_entry and set_insert_clean: first empty slot (no deletions here). */
function findSlot(table: (Slot | undefined)[], hash: bigint, key: string): number {
  const mask = table.length - 1;
  let perturb = hash;
  let i = Number(hash & BigInt(mask));
  for (;;) {
    const probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
    for (let j = 0; j <= probes; j++) {
      const slot = table[i + j];
      if (slot === undefined || slot.key === key) return i + j;
    }
    perturb >>= PERTURB_SHIFT;
    i = Number((BigInt(i) * 5n + 1n + perturb) & BigInt(mask));
  }
}

/** `list(set(pairs))` in CPython: pairs added in the given order, duplicates ignored. */
export function pySetOrder(pairs: Iterable<[number, number]>): [number, number][] {
  let table: (Slot | undefined)[] = new Array(SET_MINSIZE).fill(undefined);
  let used = 0;
  for (const value of pairs) {
    const key = `${value[0]},${value[1]}`;
    const hash = pyTupleHash(value);
    const i = findSlot(table, hash, key);
    if (table[i] !== undefined) continue;
    table[i] = { key, hash, value };
    used++;
    const mask = table.length - 1;
    if (used * 5 < mask * 3) continue; // fill == used: nothing is ever deleted
    let size = SET_MINSIZE;
    const minUsed = used > 50000 ? used * 2 : used * 4;
    while (size <= minUsed) size *= 2;
    const old = table;
    table = new Array(size).fill(undefined);
    for (const slot of old) if (slot) table[findSlot(table, slot.hash, slot.key)] = slot;
  }
  return table.filter((s): s is Slot => s !== undefined).map((s) => s.value);
}
