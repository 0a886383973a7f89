import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  avg,
  count,
  distinctCount,
  exactQuantiles,
  groupBy,
  max,
  quantileDiscIndex,
  record,
  stddev,
  topN,
  type QuantilesResult,
  type TopNEntry,
} from '../../../src/engine/aggregates/index.js';
import { checkContract, events, Random, RATINGS, SEEDS, sizes, type Ev } from './helpers.js';

const window = () =>
  record({
    n: count(),
    mean: avg((e: Ev) => e.rating),
    sd: stddev((e: Ev) => e.rating),
    users: distinctCount((e: Ev) => e.user),
    quantiles: exactQuantiles((e: Ev) => e.rating, { values: RATINGS, quantiles: [0.5, 0.95, 0.99] }),
    top: topN((e: Ev) => e.movie, (e: Ev) => e.rating, { n: 3, by: 'count' }),
    perGenre: groupBy((e: Ev) => e.genres, count()),
    highest: max((e: Ev) => e.rating),
  });

type Expected = {
  n: number;
  mean: number | null;
  sd: number | null;
  users: number;
  quantiles: QuantilesResult;
  top: TopNEntry<number>[];
  perGenre: Record<string, number>;
  highest: number | null;
};

function brute(l: readonly Ev[]): Expected {
  const rs = l.map((e) => e.rating);
  const sorted = [...rs].sort((a, b) => a - b);
  const mean = rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : null;
  const q = (p: number) => (sorted.length ? sorted[quantileDiscIndex(sorted.length, p)]! : null);
  const movies = new Map<number, { count: number; sum: number }>();
  const genres: Record<string, number> = {};
  for (const e of l) {
    const c = movies.get(e.movie) ?? { count: 0, sum: 0 };
    c.count++;
    c.sum += e.rating;
    movies.set(e.movie, c);
    for (const g of new Set(e.genres)) genres[g] = (genres[g] ?? 0) + 1;
  }
  return {
    n: l.length,
    mean,
    sd: mean === null ? null : Math.sqrt(rs.reduce((a, r) => a + (r - mean) ** 2, 0) / rs.length),
    users: new Set(l.map((e) => e.user)).size,
    quantiles: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
    top: [...movies]
      .map(([key, c]) => ({ key, count: c.count, avg: c.sum / c.count, score: c.sum }))
      .sort((a, b) => b.count - a.count || a.key - b.key)
      .slice(0, 3),
    perGenre: genres,
    highest: rs.length ? Math.max(...rs) : null,
  };
}

function equal(actual: Expected, expected: Expected, message: string): void {
  const near = (a: number | null, e: number | null) =>
    a === null || e === null ? a === e : Math.abs(a - e) <= 1e-9 * Math.abs(e) + 1e-12;
  assert.ok(near(actual.mean, expected.mean), `${message}: mean ${actual.mean} vs ${expected.mean}`);
  assert.ok(near(actual.sd, expected.sd), `${message}: sd ${actual.sd} vs ${expected.sd}`);
  assert.deepStrictEqual({ ...actual, mean: 0, sd: 0 }, { ...expected, mean: 0, sd: 0 }, message);
}

describe('record', () => {
  for (const seed of SEEDS) {
    it(`combines several aggregates: brute force, merge, round trip (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) checkContract(window(), events(rng, n), rng, { expected: brute, equal });
    });
  }

  it('infers the result type per field and the input from the fields', () => {
    const agg = window();
    const s = agg.create();
    agg.add(s, { user: 1, movie: 2, rating: 4, x: 0, genres: ['Drama'], tag: 'a' });
    const r = agg.result(s);
    // Compile-time checks: these assignments fail to type-check if inference is wrong.
    const n: number = r.n;
    const mean: number | null = r.mean;
    const top: TopNEntry<number>[] = r.top;
    const p50: number | null | undefined = r.quantiles.p50;
    const perGenre: Record<string, number> = r.perGenre;
    assert.deepStrictEqual([n, mean, top[0]!.key, p50, perGenre], [1, 4, 2, 4, { Drama: 1 }]);
    // @ts-expect-error the input must be an Ev (count() alone accepts anything)
    agg.add(s, { rating: 3 });
    // @ts-expect-error no such field
    void r.missing;
  });

  it('snapshots are keyed by field name; missing fields are reported', () => {
    const a = record({ n: count(), m: max((x: number) => x) });
    const s = a.create();
    a.add(s, 3);
    assert.deepStrictEqual(a.toJSON(s), { n: { n: 1 }, m: { value: 3 } });
    const reordered = record({ m: max((x: number) => x), n: count() });
    assert.deepStrictEqual(reordered.result(reordered.fromJSON(a.toJSON(s))), { m: 3, n: 1 });
    assert.throws(() => a.fromJSON({ n: { n: 1 } }), /no field "m"/);
    assert.throws(() => record({}), /at least one/);
  });
});
