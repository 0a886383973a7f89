/**
 * Row numbers for keys, in the order keys were first seen: the first key gets row 0, the next new
 * one row 1, and so on, so per-key figures can live in parallel arrays. Integer keys (int32: ids)
 * are found in an open-addressing table over a typed array — nothing allocated per key and nothing
 * for the garbage collector to trace; the first other key moves the index to a Map.
 */
export class KeyRows<K extends string | number> {
  readonly keys: K[] = [];
  /** Row + 1 per slot, 0 = empty (integer keys only); null once the index is a Map. */
  private slots: Int32Array | null;
  /** 32 − log2(slots.length): Fibonacci hashing takes the top bits of key × 2^32/φ. */
  private shift: number;
  private map: Map<K, number> | null = null;

  /** `capacity`: keys expected (a power of two, at least 256), so the table need not grow while they come. */
  constructor(capacity = 256) {
    const slots = 2 * Math.max(256, 2 ** Math.ceil(Math.log2(capacity)));
    this.slots = new Int32Array(slots);
    this.shift = 32 - Math.log2(slots);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The key's row, or -1. */
  rowOf(k: K): number {
    const slots = this.slots;
    if (slots === null || !isInt32(k)) return this.map?.get(k) ?? -1;
    const mask = slots.length - 1;
    for (let i = Math.imul(k as number, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === 0) return -1;
      if (this.keys[s - 1] === k) return s - 1;
    }
  }

  /**
   * The key's row if it has one; otherwise gives it the next row, n, and returns −(n + 1) —
   * one probe whether or not the key is new (the caller then appends its figures for row n).
   */
  rowOrAdd(k: K): number {
    const slots = this.slots;
    if (slots !== null && isInt32(k)) {
      const mask = slots.length - 1;
      for (let i = Math.imul(k as number, 0x9e3779b1) >>> this.shift; ; i = (i + 1) & mask) {
        const s = slots[i]!;
        if (s === 0) {
          const row = this.keys.length;
          this.keys.push(k);
          slots[i] = row + 1;
          // At most half full, so probes stay short.
          if (2 * (row + 1) > slots.length) this.rehash(slots.length * 2);
          return -(row + 1);
        }
        if (this.keys[s - 1] === k) return s - 1;
      }
    }
    if (this.map === null) this.toMap();
    const row = this.map!.get(k);
    if (row !== undefined) return row;
    const added = this.keys.length;
    this.keys.push(k);
    this.map!.set(k, added);
    return -(added + 1);
  }

  private rehash(capacity: number): void {
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    for (let row = 0; row < this.keys.length; row++) {
      let i = Math.imul(this.keys[row] as number, 0x9e3779b1) >>> this.shift;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = row + 1;
    }
    this.slots = slots;
  }

  private toMap(): void {
    this.map = new Map(this.keys.map((k, row) => [k, row]));
    this.slots = null;
  }
}

function isInt32(k: string | number): boolean {
  return typeof k === 'number' && (k | 0) === k;
}
