/**
 * Top-N keys. Per key the state keeps the count of inputs and the sum of their value; the result
 * ranks keys by count or by score (= sum = count × avg), descending, ties broken by key ascending
 * (compareKeys). Exact and exactly mergeable: the ranking is computed from the full per-key table
 * at result time, never from a truncated one.
 */
import type { Aggregate } from '../aggregate.js';
import { jsonArray, jsonCount, jsonKey, jsonNumber } from './json.js';
import { KeyRows } from './key-rows.js';
import { compareKeys } from './keys.js';

export type TopNBy = 'count' | 'score';

export interface TopNOptions {
  n: number;
  by: TopNBy;
}

/**
 * The per-key table: rows numbered by KeyRows, counts and sums in growable typed arrays — nothing
 * allocated per key, so filling a pane and merging panes leave little for the garbage collector.
 */
export class TopNState<K extends string | number> {
  private readonly index: KeyRows<K>;
  /** counts[row] and sums[row] for row < size; spare capacity beyond (doubling, from 256 rows). */
  counts: Float64Array;
  sums: Float64Array;
  /** Bumped by every change, so a cached ranking knows it is stale. */
  private version = 0;
  /**
   * The last ranking asked for: a closed pane is ranked for its tumbling window and again for each
   * sliding window it is part of, unchanged in between.
   */
  private ranked: { by: TopNBy; limit: number; version: number; rows: number[] } | null = null;

  /** `capacity`: the keys expected (a restored state's), so filling it never grows the arrays. */
  constructor(capacity = 256) {
    const rows = Math.max(256, 2 ** Math.ceil(Math.log2(capacity)));
    this.index = new KeyRows<K>(rows);
    this.counts = new Float64Array(rows);
    this.sums = new Float64Array(rows);
  }

  /** Number of distinct keys. */
  get size(): number {
    return this.index.size;
  }

  /** Keys by row. */
  get keys(): readonly K[] {
    return this.index.keys;
  }

  /** The key's row, or -1. */
  rowOf(k: K): number {
    return this.index.rowOf(k);
  }

  /** Rows of the `limit` best keys by count or score, best first (larger measure, then smaller key). */
  best(limit: number, by: TopNBy): number[] {
    const r = this.ranked;
    // A ranking of more keys starts with the ranking of fewer (the order is total).
    if (r !== null && r.version === this.version && r.by === by && (r.limit >= limit || r.rows.length === this.size)) {
      return r.rows.length > limit ? r.rows.slice(0, limit) : r.rows;
    }
    const rows = bestRows(this.index.keys, by === 'count' ? this.counts : this.sums, limit);
    this.ranked = { by, limit, version: this.version, rows };
    return rows;
  }

  /** Adds `count` inputs summing to `sum` to key `k`. */
  add(k: K, count: number, sum: number): void {
    this.version++;
    const row = this.index.rowOrAdd(k);
    if (row >= 0) {
      this.counts[row]! += count;
      this.sums[row]! += sum;
      return;
    }
    const added = -row - 1;
    if (added === this.counts.length) this.grow();
    this.counts[added] = count;
    this.sums[added] = sum;
  }

  private grow(): void {
    const counts = new Float64Array(this.counts.length * 2);
    const sums = new Float64Array(this.sums.length * 2);
    counts.set(this.counts);
    sums.set(this.sums);
    this.counts = counts;
    this.sums = sums;
  }
}

export interface TopNEntry<K extends string | number> {
  key: K;
  count: number;
  /** Mean value over the key's inputs. */
  avg: number;
  /** Sum of the key's values (count × avg). */
  score: number;
}

export function topN<In, K extends string | number>(
  key: (input: In) => K,
  value: (input: In) => number,
  options: TopNOptions,
): Aggregate<In, TopNState<K>, TopNEntry<K>[]> {
  const { n, by } = options;
  checkOptions(n, by);
  return {
    create: () => new TopNState<K>(),
    add(state, input) {
      state.add(key(input), 1, value(input));
    },
    mergeInto(target, source) {
      const { keys, counts, sums } = source;
      for (let i = 0; i < keys.length; i++) target.add(keys[i]!, counts[i]!, sums[i]!);
    },
    // Ranks 2n + 1 keys: what topNOfMerged asks of each pane, so a pane is ranked once.
    result: (state) => state.best(2 * n + 1, by).slice(0, n).map((row) => entry(state.keys[row]!, state.counts[row]!, state.sums[row]!)),
    resultOfMerged: (states) => topNOfMerged(states, n, by),
    // Columns, not a row a key: a partial state crosses a group's merge as JSON, and three flat
    // arrays parse and restore several times faster than an array a key.
    toJSON: (state): TopNJson => ({ keys: [...state.keys], counts: Array.from(state.counts.subarray(0, state.size)), sums: Array.from(state.sums.subarray(0, state.size)) }),
    fromJSON(json) {
      // Checkpoints written before the columns: one [key, count, sum] a key.
      if (Array.isArray(json)) {
        const state = new TopNState<K>(json.length);
        for (const row of json) {
          const [k, c, s] = jsonArray(row, 'topN');
          addRestored(state, jsonKey(k, 'topN') as K, c, s);
        }
        return state;
      }
      const { keys, counts, sums } = (json ?? {}) as Partial<TopNJson>;
      const n = jsonArray(keys, 'topN').length;
      if (jsonArray(counts, 'topN').length !== n || jsonArray(sums, 'topN').length !== n) {
        throw new Error(`topN.fromJSON: ${n} keys but ${counts!.length} counts and ${sums!.length} sums`);
      }
      const state = new TopNState<K>(n);
      for (let i = 0; i < n; i++) addRestored(state, jsonKey(keys![i], 'topN') as K, counts![i], sums![i]);
      return state;
    },
  };
}

/** A topN state as JSON: parallel columns. */
interface TopNJson {
  keys: (string | number)[];
  counts: number[];
  sums: number[];
}

function addRestored<K extends string | number>(state: TopNState<K>, key: K, count: unknown, sum: unknown): void {
  if (state.rowOf(key) >= 0) throw new Error(`topN.fromJSON: key ${JSON.stringify(key)} is listed twice`);
  state.add(key, jsonCount(count, 'topN'), jsonNumber(sum, 'topN'));
}

/**
 * The n best keys of a topN state by count or score, best first. Exported so a caller holding
 * a state can rank it with another n, or rank and then enrich keys (titles, names).
 */
export function topNEntries<K extends string | number>(state: TopNState<K>, n: number, by: TopNBy): TopNEntry<K>[] {
  checkOptions(n, by);
  return state.best(n, by).map((row) => entry(state.keys[row]!, state.counts[row]!, state.sums[row]!));
}

/**
 * The top n of the merge of `states` without building the merged table (sliding windows merge
 * several panes per result). Only candidate keys are summed: the best k of each state. A key
 * outside every state's best k measures at most the (k+1)-th best of each state it is in (0 where
 * absent), so when the n-th best candidate measures more than the sum of those, no other key can
 * enter the top n. Otherwise k doubles; at the largest state's size every key is a candidate.
 * Totals are summed in state order, as mergeInto would, so the figures are identical to a merge.
 */
export function topNOfMerged<K extends string | number>(states: readonly TopNState<K>[], n: number, by: TopNBy): TopNEntry<K>[] {
  checkOptions(n, by);
  if (states.length === 1) return topNEntries(states[0]!, n, by);
  if (n === 0) return [];
  const byCount = by === 'count';
  let largest = 0;
  for (const s of states) largest = Math.max(largest, s.size);
  for (let k = 2 * n; ; k *= 2) {
    const complete = k >= largest;
    const candidates = new Set<K>();
    let bound = 0;
    for (const s of states) {
      if (complete) {
        for (const key of s.keys) candidates.add(key);
        continue;
      }
      const measures = byCount ? s.counts : s.sums;
      const best = s.best(k + 1, by);
      for (let i = 0; i < best.length && i < k; i++) candidates.add(s.keys[best[i]!]!);
      // Floating-point addition is monotonic, so these bounds summed in state order bound any
      // other key's total summed in the same order.
      if (best.length > k) bound += Math.max(0, measures[best[k]!]!);
    }
    const keys = [...candidates];
    const counts = new Array<number>(keys.length);
    const sums = new Array<number>(keys.length);
    for (let c = 0; c < keys.length; c++) {
      let count = 0;
      let sum = 0;
      let seen = false;
      for (const s of states) {
        const row = s.rowOf(keys[c]!);
        if (row < 0) continue;
        count += s.counts[row]!;
        // The first term as is, as mergeInto copies it into an empty state (0 + -0 would be 0).
        sum = seen ? sum + s.sums[row]! : s.sums[row]!;
        seen = true;
      }
      counts[c] = count;
      sums[c] = sum;
    }
    const measures = byCount ? counts : sums;
    const top = bestRows(keys, measures, n);
    const nth = top.length === n ? measures[top[n - 1]!]! : -Infinity;
    if (complete || nth > bound) return top.map((row) => entry(keys[row]!, counts[row]!, sums[row]!));
  }
}

/**
 * Rows of the n best keys, best first: larger measure, then smaller key. Bounded insertion for
 * small n (most keys lose to the current n-th and cost one test), a full sort for large n.
 */
function bestRows<K extends string | number>(keys: readonly K[], measures: ArrayLike<number>, n: number): number[] {
  // a ranks before b: larger measure, then smaller key.
  const before = (a: number, b: number): boolean => {
    const ma = measures[a]!;
    const mb = measures[b]!;
    return ma > mb || (ma === mb && compareKeys(keys[a]!, keys[b]!) < 0);
  };
  const out: number[] = [];
  if (n <= 0) return out;
  if (n > 64) {
    // Large n: bounded insertion could cost O(keys × n); sort everything instead.
    const all = Array.from(keys, (_, i) => i);
    all.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
    return all.length > n ? all.slice(0, n) : all;
  }
  for (let row = 0; row < keys.length; row++) {
    let i = out.length;
    if (i === n) {
      if (!before(row, out[n - 1]!)) continue;
      i = n - 1;
    }
    while (i > 0 && before(row, out[i - 1]!)) {
      out[i] = out[i - 1]!;
      i--;
    }
    out[i] = row;
  }
  return out;
}

function entry<K extends string | number>(key: K, count: number, sum: number): TopNEntry<K> {
  return { key, count, avg: sum / count, score: sum };
}

function checkOptions(n: number, by: TopNBy): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`topN: n must be a non-negative integer, got ${n}`);
  if (by !== 'count' && by !== 'score') throw new Error(`topN: by must be 'count' or 'score', got ${String(by)}`);
}
