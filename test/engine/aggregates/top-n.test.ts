import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, topN, topNEntries, topNOfMerged, type TopNEntry } from '../../../src/engine/aggregates/index.js';
import { checkContract, events, Random, SEEDS, sizes, type Ev } from './helpers.js';

/** Brute force: full table, full sort. */
function bruteTopN<K extends string | number>(
  pairs: readonly [K, number][],
  n: number,
  by: 'count' | 'score',
): TopNEntry<K>[] {
  const table = new Map<K, { count: number; sum: number }>();
  for (const [k, v] of pairs) {
    const c = table.get(k) ?? { count: 0, sum: 0 };
    c.count++;
    c.sum += v;
    table.set(k, c);
  }
  return [...table]
    .map(([key, c]) => ({ key, count: c.count, avg: c.sum / c.count, score: c.sum }))
    .sort((a, b) => (by === 'count' ? b.count - a.count : b.score - a.score) || compareKeys(a.key, b.key))
    .slice(0, n);
}

describe('topN', () => {
  for (const seed of SEEDS) {
    it(`matches brute force exactly, merges and round-trips (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        const data = events(rng, n);
        for (const by of ['count', 'score'] as const) {
          for (const top of [0, 1, 5, 40, 100]) {
            // Ratings are multiples of 0.5, so sums are exact whatever the merge order and ties are real.
            checkContract(topN((e: Ev) => e.movie, (e: Ev) => e.rating, { n: top, by }), data, rng, {
              expected: (l) => bruteTopN(l.map((e) => [e.movie, e.rating]), top, by),
            });
            checkContract(topN((e: Ev) => e.tag, (e: Ev) => e.rating, { n: top, by }), data, rng, {
              expected: (l) => bruteTopN(l.map((e) => [e.tag, e.rating]), top, by),
            });
          }
        }
      }
    });
  }

  it('breaks ties by key ascending: numbers numerically, strings lexicographically', () => {
    const nums = topN((k: number) => k, () => 1, { n: 4, by: 'count' });
    const s = nums.create();
    for (const k of [10, 9, 100, 2, 2, 10, 9, 100, 3]) nums.add(s, k);
    assert.deepStrictEqual(
      nums.result(s).map((e) => e.key),
      [2, 9, 10, 100],
    );
    const strs = topN((k: string) => k, () => 2, { n: 5, by: 'score' });
    const t = strs.create();
    for (const k of ['b', 'B', 'a', '10', '9', 'a']) strs.add(t, k);
    assert.deepStrictEqual(strs.result(t), [
      { key: 'a', count: 2, avg: 2, score: 4 },
      { key: '10', count: 1, avg: 2, score: 2 },
      { key: '9', count: 1, avg: 2, score: 2 },
      { key: 'B', count: 1, avg: 2, score: 2 },
      { key: 'b', count: 1, avg: 2, score: 2 },
    ]);
  });

  it('ranks by count or by score = count × avg', () => {
    const byCount = topN((p: [string, number]) => p[0], (p) => p[1], { n: 2, by: 'count' });
    const byScore = topN((p: [string, number]) => p[0], (p) => p[1], { n: 2, by: 'score' });
    const input: [string, number][] = [['x', 1], ['x', 1], ['x', 1], ['y', 5], ['y', 5], ['z', 0.5]];
    const a = byCount.create();
    const b = byScore.create();
    for (const p of input) {
      byCount.add(a, p);
      byScore.add(b, p);
    }
    assert.deepStrictEqual(byCount.result(a), [
      { key: 'x', count: 3, avg: 1, score: 3 },
      { key: 'y', count: 2, avg: 5, score: 10 },
    ]);
    assert.deepStrictEqual(byScore.result(b).map((e) => e.key), ['y', 'x']);
  });

  it('topNEntries ranks a state with another n (large n sorts all; same order as bounded insertion)', () => {
    const rng = new Random(3);
    const agg = topN((e: Ev) => e.user, (e: Ev) => e.rating, { n: 3, by: 'score' });
    const s = agg.create();
    for (const e of events(rng, 2000)) agg.add(s, e);
    const all = topNEntries(s, 1000, 'score');
    assert.equal(all.length, s.size);
    assert.deepStrictEqual(agg.result(s), all.slice(0, 3));
    assert.deepStrictEqual(topNEntries(s, 30, 'count'), topNEntries(s, 1000, 'count').slice(0, 30));
    const titled = agg.result(s).map((e) => ({ ...e, title: `User ${e.key}` }));
    assert.equal(titled[0]!.title, `User ${all[0]!.key}`);
    assert.deepStrictEqual(agg.result(agg.create()), []);
    assert.throws(() => topN((e: Ev) => e.user, (e: Ev) => e.rating, { n: -1, by: 'count' }), /n must/);
  });

  it('topNOfMerged equals ranking the full merge: skewed and flat keys, negative values, ties, many states', () => {
    const rng = new Random(17);
    for (let round = 0; round < 60; round++) {
      const keys = rng.int(5, 3000);
      const states = rng.int(2, 8);
      const n = rng.pick([1, 3, 10, 20, 50]);
      const skew = rng.pick([0, 1, 1.5]); // 0: every key equally likely; larger: a few popular keys
      const values = rng.pick([[0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5], [-2, -1, 0, 1], [1]]);
      const parts: [number, number][][] = [];
      for (let s = 0; s < states; s++) {
        const part: [number, number][] = [];
        for (let i = rng.int(0, 2000); i > 0; i--) {
          const key = Math.min(keys, Math.floor(Math.pow(rng.next(), 1 + skew * 2) * keys) + 1);
          part.push([key, rng.pick(values)]);
        }
        parts.push(part);
      }
      for (const by of ['count', 'score'] as const) {
        const agg = topN((p: [number, number]) => p[0], (p) => p[1], { n, by });
        const built = parts.map((part) => {
          const st = agg.create();
          for (const p of part) agg.add(st, p);
          return st;
        });
        const merged = agg.create();
        for (const st of built) agg.mergeInto(merged, st);
        const expected = bruteTopN(parts.flat(), n, by);
        assert.deepStrictEqual(topNOfMerged(built, n, by), expected, `round ${round} by ${by}`);
        assert.deepStrictEqual(agg.resultOfMerged!(built), agg.result(merged), `round ${round} by ${by}: same as a merge`);
      }
    }
  });

  it('restores a checkpoint written before its JSON had columns (one [key, count, sum] a key), and refuses a bad one', () => {
    const agg = topN((e: Ev) => e.movie, (e: Ev) => e.rating, { n: 3, by: 'score' });
    const rows = [[7, 2, 9], [3, 1, 4.5], [11, 4, 8]];
    const restored = agg.fromJSON(rows);
    assert.deepEqual(agg.result(restored), [
      { key: 7, count: 2, avg: 4.5, score: 9 },
      { key: 11, count: 4, avg: 2, score: 8 },
      { key: 3, count: 1, avg: 4.5, score: 4.5 },
    ]);
    assert.deepEqual(agg.toJSON(restored), { keys: [7, 3, 11], counts: [2, 1, 4], sums: [9, 4.5, 8] });
    assert.throws(() => agg.fromJSON([[7, 2, 9], [7, 1, 1]]), /key 7 is listed twice/);
    assert.throws(() => agg.fromJSON({ keys: [1, 2], counts: [1], sums: [1, 2] }), /2 keys but 1 counts and 2 sums/);
  });

  it('ranks a state again after it changed (the cached ranking is dropped)', () => {
    const agg = topN((p: [number, number]) => p[0], (p) => p[1], { n: 2, by: 'score' });
    const s = agg.create();
    const seen: [number, number][] = [];
    const add = (p: [number, number]) => {
      agg.add(s, p);
      seen.push(p);
    };
    for (const k of [1, 2, 3, 4, 5]) add([k, k]);
    assert.deepStrictEqual(agg.result(s).map((e) => e.key), [5, 4]);
    add([1, 10]);
    assert.deepStrictEqual(agg.result(s), bruteTopN(seen, 2, 'score'));
    assert.deepStrictEqual(topNEntries(s, 5, 'count'), bruteTopN(seen, 5, 'count'));
    const other = agg.create();
    agg.add(other, [2, 20]);
    agg.mergeInto(s, other);
    seen.push([2, 20]);
    assert.deepStrictEqual(agg.result(s), bruteTopN(seen, 2, 'score'));
    assert.deepStrictEqual(topNOfMerged([s, other], 3, 'score'), bruteTopN([...seen, [2, 20]], 3, 'score'));
  });
});
