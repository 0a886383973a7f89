import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avg, count, exactQuantiles, groupBy, groupByEntries, record } from '../../../src/engine/aggregates/index.js';
import { checkContract, events, Random, RATINGS, SEEDS, sizes, type Ev } from './helpers.js';

function bruteGroups<T>(list: readonly Ev[], keysOf: (e: Ev) => readonly (string | number)[], inner: (l: Ev[]) => T) {
  const groups = new Map<string, Ev[]>();
  for (const e of list) {
    for (const k of new Set(keysOf(e))) {
      const g = groups.get(String(k)) ?? [];
      g.push(e);
      groups.set(String(k), g);
    }
  }
  const out: Record<string, T> = {};
  for (const [k, l] of groups) out[k] = inner(l);
  return out;
}

describe('groupBy', () => {
  for (const seed of SEEDS) {
    it(`multi-key inputs: matches brute force, merges and round-trips (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        const data = events(rng, n);
        // An event with genres [Drama, Drama, Comedy] counts once for Drama and once for Comedy;
        // an event with no genre belongs to no group.
        checkContract(groupBy((e: Ev) => e.genres, count()), data, rng, {
          expected: (l) => bruteGroups(l, (e) => e.genres, (g) => g.length),
        });
        // Single key (no array) and a nested aggregate.
        checkContract(
          groupBy((e: Ev) => e.movie, exactQuantiles((e: Ev) => e.rating, { values: RATINGS, quantiles: [0.5] })),
          data,
          rng,
          {
            expected: (l) =>
              bruteGroups(l, (e) => [e.movie], (g) => {
                const sorted = g.map((e) => e.rating).sort((a, b) => a - b);
                return { p50: sorted[Math.ceil(sorted.length * 0.5) - 1]! };
              }),
          },
        );
      }
    });
  }

  it('nests, gives results per key, and handles "__proto__" as a key', () => {
    const agg = groupBy(
      (e: { g: string[]; u: number; r: number }) => e.g,
      groupBy((e: { g: string[]; u: number; r: number }) => e.u, record({ n: count(), mean: avg((e: { r: number }) => e.r) })),
    );
    const s = agg.create();
    agg.add(s, { g: ['Drama', 'Comedy'], u: 1, r: 4 });
    agg.add(s, { g: ['Drama'], u: 1, r: 2 });
    agg.add(s, { g: ['__proto__'], u: 2, r: 5 });
    const r = agg.result(s);
    assert.deepStrictEqual(r.Drama, { 1: { n: 2, mean: 3 } });
    assert.deepStrictEqual(r.Comedy, { 1: { n: 1, mean: 4 } });
    assert.ok(Object.hasOwn(r, '__proto__'));
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.deepStrictEqual(Object.keys(r).sort(), ['Comedy', 'Drama', '__proto__']);
    const inner = groupBy((x: number) => x % 3, count());
    const t = inner.create();
    for (let i = 0; i < 10; i++) inner.add(t, i);
    assert.deepStrictEqual(groupByEntries(t, count()), [
      [0, 4],
      [1, 3],
      [2, 3],
    ]);
    assert.deepStrictEqual(agg.result(agg.create()), {});
  });
});
