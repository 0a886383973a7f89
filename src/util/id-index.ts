// Raw integer ids (movie ids, user ids) → dense indices or values. Ids in practice are small
// non-negative integers, so the fast path is an array indexed by id; ids beyond `tableLimit`
// (or negative, or not integers) go to a Map beside it.

/** Raw id → dense index (int32), -1 when absent. The array grows by doubling up to `tableLimit`. */
export class IdIndexMap {
  private table: Int32Array;
  private readonly map = new Map<number, number>();

  /**
   * @param tableLimit ids below it live in the array (default 2^24: 64 MB at most).
   * @param maxId the largest id expected, to size the array once instead of growing it.
   */
  constructor(
    readonly tableLimit = 1 << 24,
    maxId = -1,
  ) {
    this.table = new Int32Array(maxId >= 0 && maxId < tableLimit ? maxId + 1 : 0).fill(-1);
  }

  /** The index of a raw id, or -1. */
  get(id: number): number {
    if ((id | 0) === id && id >= 0 && id < this.tableLimit) return id < this.table.length ? this.table[id] : -1;
    return this.map.get(id) ?? -1;
  }

  set(id: number, index: number): void {
    if ((id | 0) === id && id >= 0 && id < this.tableLimit) {
      if (id >= this.table.length) {
        const grown = new Int32Array(Math.min(this.tableLimit, Math.max(id + 1, this.table.length * 2))).fill(-1);
        grown.set(this.table);
        this.table = grown;
      }
      this.table[id] = index;
    } else {
      this.map.set(id, index);
    }
  }
}

/**
 * id → value, or `missing` for an id not listed. An array indexed by id when the ids are dense
 * enough (the largest at most 16 × their count + 1024, as in MovieLens and synthetic catalogues),
 * else a Map.
 */
export function idLookup<T>(entries: readonly (readonly [id: number, value: T])[], missing: T): (id: number) => T {
  let maxId = -1;
  let small = true;
  for (const [id] of entries) {
    if ((id | 0) !== id || id < 0) small = false;
    else if (id > maxId) maxId = id;
  }
  if (small && maxId <= 16 * entries.length + 1024) {
    const byId = new Array<T>(maxId + 1).fill(missing);
    for (const [id, value] of entries) byId[id] = value;
    return (id) => byId[id] ?? missing;
  }
  const byId = new Map(entries);
  return (id) => byId.get(id) ?? missing;
}
