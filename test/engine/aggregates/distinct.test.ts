import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { distinctCount } from '../../../src/engine/aggregates/index.js';
import { checkContract, events, Random, SEEDS, sizes, type Ev } from './helpers.js';

describe('distinctCount', () => {
  for (const seed of SEEDS) {
    it(`matches brute force exactly, merges and round-trips (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        const data = events(rng, n);
        checkContract(distinctCount((e: Ev) => e.user), data, rng, { expected: (l) => new Set(l.map((e) => e.user)).size });
        checkContract(distinctCount((e: Ev) => e.tag), data, rng, { expected: (l) => new Set(l.map((e) => e.tag)).size });
      }
    });
  }

  it('keeps number and string keys apart, through JSON too', () => {
    const agg = distinctCount((k: string | number) => k);
    const s = agg.create();
    for (const k of [1, '1', 1, 'a', 2.5]) agg.add(s, k);
    assert.equal(agg.result(s), 4);
    const r = agg.fromJSON(JSON.parse(JSON.stringify(agg.toJSON(s))));
    agg.add(r, '2.5');
    assert.equal(agg.result(r), 5);
    assert.equal(agg.result(agg.create()), 0);
    assert.throws(() => agg.fromJSON([{}]), /distinctCount/);
  });
});
