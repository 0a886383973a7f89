import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avg, stddev, variance } from '../../../src/engine/aggregates/index.js';
import { checkContract, events, Random, SEEDS, sizes, type Ev } from './helpers.js';

/** Two-pass brute force. */
function bruteMoments(xs: readonly number[]): { n: number; mean: number; m2: number } {
  const n = xs.length;
  let s = 0;
  for (const x of xs) s += x;
  const mean = s / n;
  let m2 = 0;
  for (const x of xs) m2 += (x - mean) * (x - mean);
  return { n, mean, m2 };
}

function near(actual: number | null, expected: number | null, message: string): void {
  if (actual === null || expected === null) return assert.equal(actual, expected, message);
  const tol = 1e-9 * Math.abs(expected) + 1e-12;
  assert.ok(Math.abs(actual - expected) <= tol, `${message}: ${actual} vs ${expected}`);
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? null : bruteMoments(xs).mean);
const vari = (xs: readonly number[], sample: boolean) => {
  const d = sample ? xs.length - 1 : xs.length;
  return d <= 0 ? null : bruteMoments(xs).m2 / d;
};

describe('avg / variance / stddev', () => {
  for (const seed of SEEDS) {
    it(`match two-pass brute force to 1e-9, merge and round-trip (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        const data = events(rng, n);
        const xs = (list: readonly Ev[]) => list.map((e) => e.x);
        const rs = (list: readonly Ev[]) => list.map((e) => e.rating);
        checkContract(avg((e: Ev) => e.x), data, rng, { expected: (l) => mean(xs(l)), equal: near });
        checkContract(avg((e: Ev) => e.rating), data, rng, { expected: (l) => mean(rs(l)), equal: near });
        for (const sample of [false, true]) {
          checkContract(variance((e: Ev) => e.x, { sample }), data, rng, {
            expected: (l) => vari(xs(l), sample),
            equal: near,
          });
          checkContract(stddev((e: Ev) => e.rating, { sample }), data, rng, {
            expected: (l) => {
              const v = vari(rs(l), sample);
              return v === null ? null : Math.sqrt(v);
            },
            equal: near,
          });
        }
      }
    });
  }

  it('stays accurate with a large offset (no sum-of-squares cancellation)', () => {
    const rng = new Random(7);
    const xs = Array.from({ length: 20000 }, () => 1e9 + rng.normal(0, 1));
    const agg = stddev((x: number) => x);
    const parts = [xs.slice(0, 7000), xs.slice(7000, 7001), xs.slice(7001)];
    const states = parts.map((p) => {
      const s = agg.create();
      for (const x of p) agg.add(s, x);
      return s;
    });
    agg.mergeInto(states[2]!, states[0]!);
    agg.mergeInto(states[2]!, states[1]!);
    const expected = Math.sqrt(bruteMoments(xs).m2 / xs.length);
    assert.ok(Math.abs(agg.result(states[2]!)! - expected) < 1e-6 * expected);
  });

  it('population by default; one value: population 0, sample null; empty: null', () => {
    const pop = stddev((x: number) => x);
    const smp = stddev((x: number) => x, { sample: true });
    const a = pop.create();
    const b = smp.create();
    assert.equal(pop.result(a), null);
    assert.equal(smp.result(b), null);
    assert.equal(avg((x: number) => x).result(avg((x: number) => x).create()), null);
    pop.add(a, 4);
    smp.add(b, 4);
    assert.equal(pop.result(a), 0);
    assert.equal(smp.result(b), null);
    for (const x of [2, 4, 4, 5, 5, 7, 9]) {
      pop.add(a, x);
      smp.add(b, x);
    }
    assert.equal(pop.result(a), 2); // 2, 4, 4, 4, 5, 5, 7, 9: the textbook σ = 2
    near(smp.result(b), Math.sqrt(32 / 7), 'sample');
  });
});
