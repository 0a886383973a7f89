import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  quantileDiscIndex,
  quantileKey,
  sketchQuantiles,
  type QuantilesResult,
} from '../../../src/engine/aggregates/index.js';
import {
  aggregateAll,
  checkContract,
  events,
  mergeParts,
  Random,
  roundTrip,
  SEEDS,
  sizes,
  splitRandom,
  type Ev,
} from './helpers.js';

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** Exact quantiles by the same definition as the sketch: DuckDB quantile_disc (nearest rank). */
function exact(xs: readonly number[]): QuantilesResult {
  const sorted = [...xs].sort((a, b) => a - b);
  const out: QuantilesResult = {};
  for (const q of QUANTILES) out[quantileKey(q)] = sorted.length === 0 ? null : sorted[quantileDiscIndex(sorted.length, q)]!;
  return out;
}

function withinRelative(alpha: number) {
  return (actual: QuantilesResult, expected: QuantilesResult, message: string): void => {
    assert.deepStrictEqual(Object.keys(actual), Object.keys(expected), message);
    for (const k of Object.keys(expected)) {
      const a = actual[k];
      const e = expected[k];
      if (a === null || e === null || a === undefined || e === undefined) {
        assert.equal(a, e, `${message} ${k}`);
        continue;
      }
      // α relative error, plus a hair for the rounding of log/pow in the mapping.
      assert.ok(Math.abs(a - e) <= alpha * Math.abs(e) * (1 + 1e-9), `${message} ${k}: ${a} vs exact ${e}`);
    }
  };
}

describe('sketchQuantiles', () => {
  for (const alpha of [0.01, 0.05]) {
    const agg = sketchQuantiles((e: Ev) => e.x, { quantiles: QUANTILES, relativeAccuracy: alpha });
    for (const seed of SEEDS) {
      it(`is within ${alpha * 100}% of exact quantile_disc; merges and round-trips (seed ${seed})`, () => {
        const rng = new Random(seed);
        for (const n of sizes(rng)) {
          checkContract(agg, events(rng, n), rng, {
            expected: (l) => exact(l.map((e) => e.x)),
            equal: withinRelative(alpha),
          });
        }
      });
    }
  }

  it('defaults to 1% relative accuracy', () => {
    const rng = new Random(5);
    const xs = Array.from({ length: 50000 }, () => Math.exp(rng.normal(0, 3)));
    const agg = sketchQuantiles((x: number) => x, { quantiles: QUANTILES });
    withinRelative(0.01)(agg.result(aggregateAll(agg, xs)), exact(xs), 'log-normal');
  });

  it('a merge of parts is the sketch of the whole, bucket for bucket (negatives and zeros too)', () => {
    const rng = new Random(11);
    const agg = sketchQuantiles((e: Ev) => e.x, { quantiles: QUANTILES });
    const data = events(rng, 5000);
    assert.ok(data.some((e) => e.x < 0) && data.some((e) => e.x === 0));
    const whole = aggregateAll(agg, data);
    for (const k of [2, 5, 13]) {
      const merged = mergeParts(agg, splitRandom(data, k, rng), rng);
      assert.deepStrictEqual(agg.result(merged), agg.result(whole));
      const m = agg.toJSON(merged) as { sum: number };
      const w = agg.toJSON(whole) as { sum: number };
      assert.ok(Math.abs(m.sum - w.sum) <= 1e-9 * Math.abs(w.sum) + 1e-9);
      assert.deepStrictEqual({ ...m, sum: 0 }, { ...w, sum: 0 });
    }
  });

  it('round trip restores the sketch exactly (bins, min, max, sum) and it still merges with fresh ones', () => {
    const rng = new Random(12);
    const agg = sketchQuantiles((x: number) => x, { quantiles: [0.5, 0.99], relativeAccuracy: 0.02 });
    const xs = Array.from({ length: 3000 }, () => rng.normal(0, 100));
    const s = aggregateAll(agg, xs);
    const r = roundTrip(agg, s);
    assert.deepStrictEqual(agg.toJSON(r), agg.toJSON(s));
    assert.deepStrictEqual(agg.result(r), agg.result(s));
    const fresh = aggregateAll(agg, [1, 2, 3]);
    agg.mergeInto(fresh, r);
    agg.mergeInto(r, aggregateAll(agg, [1, 2, 3]));
    assert.deepStrictEqual(agg.result(fresh), agg.result(r));
  });

  it('keys, empty state, and bad input', () => {
    const agg = sketchQuantiles((x: number) => x, { quantiles: [0.5, 0.95, 0.99] });
    assert.deepStrictEqual(agg.result(agg.create()), { p50: null, p95: null, p99: null });
    const s = agg.create();
    for (const bad of [NaN, Infinity, -Infinity]) assert.throws(() => agg.add(s, bad), /cannot add/);
    assert.equal(s.count, 0);
    assert.throws(() => sketchQuantiles((x: number) => x, { quantiles: [0.5], relativeAccuracy: 0 }), /relativeAccuracy/);
    const other = sketchQuantiles((x: number) => x, { quantiles: [0.5], relativeAccuracy: 0.05 });
    assert.throws(() => other.fromJSON(agg.toJSON(s)), /relativeAccuracy/);
  });
});
