import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { avg, count, exactQuantiles, groupBy, groupByEntries, groupByFlags, groupByIndex, LabelIndex, record } from '../../../src/engine/aggregates/index.js';
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

describe('groupByIndex', () => {
  for (const seed of SEEDS) {
    it(`matches brute force, merges and round-trips, reads groupBy's snapshots (seed ${seed})`, () => {
      const rng = new Random(seed);
      for (const n of sizes(rng)) {
        const data = events(rng, n);
        const labels = new LabelIndex();
        const ids = new Map(data.map((e) => [e, e.genres.map((g) => labels.idOf(g))]));
        const inner = () => record({ n: count(), mean: avg((e: Ev) => e.rating) });
        const byIndex = groupByIndex(labels, (e: Ev) => ids.get(e)!, inner());
        checkContract(byIndex, data, rng, {
          expected: (l) => bruteGroups(l, (e) => e.genres, (g) => ({ n: g.length, mean: g.reduce((s, e) => s + e.rating, 0) / g.length })),
          equal: (actual, expected, message) => {
            assert.deepStrictEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), message);
            for (const k of Object.keys(expected)) {
              assert.equal(actual[k]!.n, expected[k]!.n, message);
              assert.ok(Math.abs(actual[k]!.mean! - expected[k]!.mean!) < 1e-9, message);
            }
          },
        });
        // The groups and snapshot rows of groupBy over the label strings, listed in id order; snapshots cross over.
        const byLabel = groupBy((e: Ev) => e.genres, inner());
        const a = byIndex.create();
        const b = byLabel.create();
        for (const e of data) {
          byIndex.add(a, e);
          byLabel.add(b, e);
        }
        const idOrder = (keys: string[]) => [...keys].sort((x, y) => labels.idOf(x) - labels.idOf(y));
        assert.deepStrictEqual(Object.keys(byIndex.result(a)), idOrder(Object.keys(byLabel.result(b))));
        assert.deepStrictEqual(byIndex.result(a), byLabel.result(b));
        const rows = (json: unknown) => new Map(json as [string, unknown][]);
        assert.deepStrictEqual(rows(byIndex.toJSON(a)), rows(byLabel.toJSON(b)));
        assert.deepStrictEqual(byIndex.result(byIndex.fromJSON(byLabel.toJSON(b))), byLabel.result(b));
        assert.deepStrictEqual(byLabel.result(byLabel.fromJSON(byIndex.toJSON(a))), byIndex.result(a));
      }
    });
  }

  it('takes one id or several (a repeated id counts once), lists results by label in id order, and refuses bad ids and snapshots', () => {
    const labels = new LabelIndex(['Drama', '__proto__']);
    assert.deepStrictEqual(labels.labels, ['Drama', '__proto__']);
    assert.equal(labels.idOf('Comedy'), 2);
    assert.equal(labels.idOf('Drama'), 0);
    const agg = groupByIndex(labels, (x: number | number[]) => x, count());
    const s = agg.create();
    agg.add(s, 2);
    agg.add(s, [1, 0, 1]);
    agg.add(s, []);
    const r = agg.result(s);
    assert.deepStrictEqual(Object.keys(r), ['Drama', '__proto__', 'Comedy']);
    assert.deepStrictEqual([r.Comedy, r.__proto__, r.Drama], [1, 1, 1]);
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.throws(() => agg.add(s, 3), /3 is not a label id/);
    assert.throws(() => agg.add(s, -1), /-1 is not a label id/);
    assert.throws(() => agg.fromJSON([[7, { n: 1 }]]), /expected a string label, got 7/);
    assert.throws(() => agg.fromJSON([['Drama', { n: 1 }], ['Drama', { n: 2 }]]), /"Drama" is listed twice/);
    // A label the index did not have yet (a snapshot from another catalogue) is numbered, not refused.
    const restored = agg.fromJSON([['Horror', { n: 4 }]]);
    assert.deepStrictEqual(agg.result(restored), { Horror: 4 });
    assert.equal(labels.idOf('Horror'), 3);
  });

  it('groupByFlags: the groups of groupByIndex from a bit mask, labels 0 to 31', () => {
    const rng = new Random(8);
    const labels = new LabelIndex(Array.from({ length: 32 }, (_, i) => `L${i}`));
    const inputs = Array.from({ length: 3000 }, () => {
      const ids = Array.from({ length: rng.int(0, 4) }, () => (rng.chance(0.2) ? rng.pick([0, 31]) : rng.int(0, 31)));
      return { ids, flags: ids.reduce((f, id) => f | (1 << id), 0), rating: rng.pick(RATINGS) };
    });
    type In = (typeof inputs)[number];
    const inner = () => record({ n: count(), mean: avg((e: In) => e.rating) });
    const byFlags = groupByFlags(labels, (e: In) => e.flags, inner());
    const byIds = groupByIndex(labels, (e: In) => e.ids, inner());
    const a = byFlags.create();
    const b = byIds.create();
    for (const e of inputs) {
      byFlags.add(a, e);
      byIds.add(b, e);
    }
    assert.deepStrictEqual(byFlags.toJSON(a), byIds.toJSON(b));
    assert.deepStrictEqual(Object.keys(byFlags.result(a)), Object.keys(byIds.result(b)));
    assert.ok(byFlags.result(a).L31 && byFlags.result(a).L0, 'the lowest and the sign bit are labels too');
    assert.throws(() => groupByFlags(new LabelIndex(['a']), () => 0b10, count()).add([], 0), /1 is not a label id/);
  });
});
