import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exactQuantiles, quantileDiscIndex, quantileKey, type QuantilesResult } from '../../../src/engine/aggregates/index.js';
import { checkContract, events, Random, RATINGS, SEEDS, sizes, type Ev } from './helpers.js';
import { queryDuckDB, quantileDiscColumns } from './duckdb.js';

const QUANTILES = [0, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

/** Brute force: sort and take the quantile_disc index. */
function bruteQuantiles(xs: readonly number[], quantiles: readonly number[]): QuantilesResult {
  const sorted = [...xs].sort((a, b) => a - b);
  const out: QuantilesResult = {};
  for (const q of quantiles) out[quantileKey(q)] = sorted.length === 0 ? null : sorted[quantileDiscIndex(sorted.length, q)]!;
  return out;
}

describe('exactQuantiles', () => {
  const agg = exactQuantiles((e: Ev) => e.rating, { values: RATINGS, quantiles: QUANTILES });

  for (const seed of SEEDS) {
    it(`matches brute force exactly, merges exactly and round-trips (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        checkContract(agg, events(rng, n), rng, {
          expected: (l) => bruteQuantiles(l.map((e) => e.rating), QUANTILES),
        });
      }
    });
  }

  it('equals DuckDB quantile_disc on random ratings, per group', async () => {
    const rng = new Random(99);
    const quantiles = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];
    const a = exactQuantiles((r: number) => r, { values: RATINGS, quantiles });
    const rows: string[] = [];
    const expected = new Map<number, QuantilesResult>();
    for (let g = 0; g < 120; g++) {
      const n = g < 100 ? g + 1 : rng.int(100, 3000);
      // Skewed per group, like real ratings.
      const bias = rng.int(0, 9);
      const s = a.create();
      for (let i = 0; i < n; i++) {
        const r = RATINGS[Math.min(9, Math.max(0, bias + rng.int(-3, 3)))]!;
        a.add(s, r);
        rows.push(`(${g}, ${r})`);
      }
      expected.set(g, a.result(s));
    }
    const result = await queryDuckDB([
      'CREATE TABLE ratings (g INTEGER, rating DOUBLE)',
      `INSERT INTO ratings VALUES ${rows.join(', ')}`,
      `SELECT g, ${quantileDiscColumns('rating', quantiles, quantileKey)} FROM ratings GROUP BY g ORDER BY g`,
    ]);
    assert.equal(result.length, expected.size);
    for (const row of result) {
      const want: QuantilesResult = {};
      for (const q of quantiles) want[quantileKey(q)] = row[quantileKey(q)] as number;
      assert.deepStrictEqual(expected.get(Number(row.g)), want, `group ${String(row.g)}`);
    }
  });

  it('keys the result p50 / p95 / p99; empty gives nulls', () => {
    const a = exactQuantiles((r: number) => r, { values: RATINGS, quantiles: [0.5, 0.95, 0.99] });
    assert.deepStrictEqual(a.result(a.create()), { p50: null, p95: null, p99: null });
    const s = a.create();
    for (const r of [1, 2, 3, 4, 5]) a.add(s, r);
    assert.deepStrictEqual(a.result(s), { p50: 3, p95: 5, p99: 5 });
  });

  it('throws naming an input outside the declared values', () => {
    const a = exactQuantiles((r: number) => r, { values: RATINGS, quantiles: [0.5] });
    const s = a.create();
    for (const bad of [3.7, 0, 5.5, NaN, 3.5000000000000004, 10]) {
      assert.throws(() => a.add(s, bad), (e: Error) => e.message.includes(`input value ${bad} `));
    }
    assert.equal(s.n, 0);
  });

  it('works for values that are not multiples of a small step (Map lookup)', () => {
    const values = [Math.PI, -1e-3, 7, 1e9];
    const a = exactQuantiles((r: number) => r, { values, quantiles: [0.25, 0.5, 1] });
    const s = a.create();
    for (const v of [7, 7, Math.PI, 1e9]) a.add(s, v);
    assert.deepStrictEqual(a.result(s), { p25: Math.PI, p50: 7, p100: 1e9 });
    assert.throws(() => a.add(s, 3.14), /3\.14/);
  });

  it('rejects bad options and snapshots of other value sets', () => {
    assert.throws(() => exactQuantiles((r: number) => r, { values: [], quantiles: [0.5] }), /values/);
    assert.throws(() => exactQuantiles((r: number) => r, { values: [1, 1], quantiles: [0.5] }), /twice/);
    assert.throws(() => exactQuantiles((r: number) => r, { values: [1], quantiles: [1.5] }), /quantile/);
    const a = exactQuantiles((r: number) => r, { values: [1, 2], quantiles: [0.5] });
    const b = exactQuantiles((r: number) => r, { values: [1, 3], quantiles: [0.5] });
    assert.throws(() => b.fromJSON(a.toJSON(a.create())), /values differ/);
  });
});
