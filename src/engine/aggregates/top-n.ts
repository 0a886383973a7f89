/**
 * Top-N keys. Per key the state keeps the count of inputs and the sum of their value; the result
 * ranks keys by count or by score (= sum = count × avg), descending, ties broken by key ascending
 * (compareKeys). Exact and exactly mergeable: the ranking is computed from the full per-key table
 * at result time, never from a truncated one.
 */
import type { Aggregate } from '../aggregate.js';
import { jsonArray, jsonCount, jsonKey, jsonNumber } from './json.js';
import { compareKeys } from './keys.js';

export type TopNBy = 'count' | 'score';

export interface TopNOptions {
  n: number;
  by: TopNBy;
}

export interface TopNCell {
  count: number;
  sum: number;
}

export type TopNState<K extends string | number> = Map<K, TopNCell>;

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
    create: () => new Map<K, TopNCell>(),
    add(state, input) {
      const k = key(input);
      const v = value(input);
      const cell = state.get(k);
      if (cell === undefined) state.set(k, { count: 1, sum: v });
      else {
        cell.count++;
        cell.sum += v;
      }
    },
    mergeInto(target, source) {
      for (const [k, s] of source) {
        const t = target.get(k);
        // A fresh cell: sharing source's would let later adds to target change source.
        if (t === undefined) target.set(k, { count: s.count, sum: s.sum });
        else {
          t.count += s.count;
          t.sum += s.sum;
        }
      }
    },
    result: (state) => topNEntries(state, n, by),
    toJSON: (state) => Array.from(state, ([k, c]) => [k, c.count, c.sum]),
    fromJSON(json) {
      const state = new Map<K, TopNCell>();
      for (const row of jsonArray(json, 'topN')) {
        const [k, c, s] = jsonArray(row, 'topN');
        state.set(jsonKey(k, 'topN') as K, { count: jsonCount(c, 'topN'), sum: jsonNumber(s, 'topN') });
      }
      return state;
    },
  };
}

/**
 * The n best keys of a topN state by count or score, best first. Exported so a caller holding
 * a state can rank it with another n, or rank and then enrich keys (titles, names).
 */
export function topNEntries<K extends string | number>(state: TopNState<K>, n: number, by: TopNBy): TopNEntry<K>[] {
  checkOptions(n, by);
  const byCount = by === 'count';
  const keys: K[] = [];
  const cells: TopNCell[] = [];
  // a ranks before b: larger measure, then smaller key.
  const before = (ka: K, a: TopNCell, kb: K, b: TopNCell): boolean => {
    const ma = byCount ? a.count : a.sum;
    const mb = byCount ? b.count : b.sum;
    return ma > mb || (ma === mb && compareKeys(ka, kb) < 0);
  };
  if (n > 32) {
    // Large n: bounded insertion could cost O(keys × n); sort everything instead.
    const all = Array.from(state);
    all.sort(([ka, a], [kb, b]) => (before(ka, a, kb, b) ? -1 : before(kb, b, ka, a) ? 1 : 0));
    for (let i = 0; i < all.length && i < n; i++) {
      keys.push(all[i]![0]);
      cells.push(all[i]![1]);
    }
  } else if (n > 0) {
    // Bounded insertion: keep the best n sorted; most keys lose to the current n-th and cost one test.
    for (const [k, c] of state) {
      let i = keys.length;
      if (i === n) {
        if (!before(k, c, keys[n - 1]!, cells[n - 1]!)) continue;
        i = n - 1;
      }
      while (i > 0 && before(k, c, keys[i - 1]!, cells[i - 1]!)) {
        keys[i] = keys[i - 1]!;
        cells[i] = cells[i - 1]!;
        i--;
      }
      keys[i] = k;
      cells[i] = c;
    }
  }
  const out: TopNEntry<K>[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const c = cells[i]!;
    out[i] = { key: keys[i]!, count: c.count, avg: c.sum / c.count, score: c.sum };
  }
  return out;
}

function checkOptions(n: number, by: TopNBy): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`topN: n must be a non-negative integer, got ${n}`);
  if (by !== 'count' && by !== 'score') throw new Error(`topN: by must be 'count' or 'score', got ${String(by)}`);
}
