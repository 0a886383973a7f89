import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { count, sum, min, max } from '../../../src/engine/aggregates/index.js';
import { checkContract, closeTo, events, Random, SEEDS, sizes, type Ev } from './helpers.js';

describe('count / sum / min / max', () => {
  for (const seed of SEEDS) {
    it(`match brute force, merge and round-trip (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        const data = events(rng, n);
        checkContract(count<Ev>(), data, rng, { expected: (xs) => xs.length });
        // Ratings are multiples of 0.5: every partial sum is exact, in any order.
        checkContract(
          sum((e: Ev) => e.rating),
          data,
          rng,
          { expected: (xs) => xs.reduce((a, e) => a + e.rating, 0) },
        );
        checkContract(
          sum((e: Ev) => e.x),
          data,
          rng,
          {
            expected: (xs) => xs.reduce((a, e) => a + e.x, 0),
            equal: (a, e, m) => closeTo(a, e, 1e-9 * Math.max(1, data.length), m),
          },
        );
        const xs = (list: readonly Ev[]) => list.map((e) => e.x);
        checkContract(min((e: Ev) => e.x), data, rng, {
          expected: (list) => (list.length === 0 ? null : Math.min(...xs(list))),
        });
        checkContract(max((e: Ev) => e.x), data, rng, {
          expected: (list) => (list.length === 0 ? null : Math.max(...xs(list))),
        });
      }
    });
  }

  it('empty states', () => {
    assert.equal(count().result(count().create()), 0);
    assert.equal(sum((x: number) => x).result(sum((x: number) => x).create()), 0);
    assert.equal(min((x: number) => x).result(min((x: number) => x).create()), null);
    assert.equal(max((x: number) => x).result(max((x: number) => x).create()), null);
  });

  it('min/max keep infinite inputs', () => {
    const agg = min((x: number) => x);
    const s = agg.create();
    agg.add(s, Infinity);
    assert.equal(agg.result(s), Infinity);
    const m = max((x: number) => x);
    const t = m.create();
    m.add(t, -5);
    m.add(t, -Infinity);
    assert.equal(m.result(t), -5);
  });

  it('rejects malformed snapshots', () => {
    assert.throws(() => count().fromJSON({ n: -1 }), /count/);
    assert.throws(() => sum((x: number) => x).fromJSON(null), /sum/);
    assert.throws(() => min((x: number) => x).fromJSON({ value: 'x' }), /min/);
  });
});
