import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RatingsBuilder, type RatingColumns } from '../../../src/recommend/data/ratings-parse.js';
import { kFold, randomSplit, stratifiedKFold, stratifiedSplit, temporalLeaveLastOut, type Split } from '../../../src/recommend/evaluate/splits.js';
import { Random } from '../../../src/util/random.js';

/** Users with 1 to 40 ratings (some with a single one), timestamps with deliberate ties. */
function ratings(users = 300, seed = 3): RatingColumns {
  const random = new Random(seed);
  const b = new RatingsBuilder();
  for (let u = 1; u <= users; u++) {
    const count = u % 10 === 0 ? 1 : random.int(2, 40);
    for (let i = 0; i < count; i++) b.push(u * 7, random.int(1, 500), random.int(1, 10) / 2, 1_000_000 * random.int(0, 20));
  }
  // Shuffle the row order, so users' rows are interleaved as in a real file.
  const c = b.finish();
  const n = c.users.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const s = new RatingsBuilder(n);
  for (const i of order) s.push(c.users[i], c.movies[i], c.ratings[i], c.timestamps[i]);
  return s.finish();
}

function assertPartition(split: Split, n: number): void {
  const all = [...split.train, ...split.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), 'train and test are disjoint and cover every row');
  for (const side of [split.train, split.test]) for (let i = 1; i < side.length; i++) assert.ok(side[i - 1] < side[i], 'ascending rows');
}

/** Row indices by user id. */
function byUser(columns: RatingColumns, rows: Iterable<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of rows) {
    const list = out.get(columns.users[r]) ?? [];
    list.push(r);
    out.set(columns.users[r], list);
  }
  return out;
}

describe('splits', () => {
  const columns = ratings();
  const n = columns.users.length;

  it('random: round(20 %) of the rows to test, the same for the same seed, other rows for another seed', () => {
    const a = randomSplit(columns, { seed: 42 });
    assertPartition(a, n);
    assert.equal(a.test.length, Math.round(n * 0.2));
    assert.deepEqual(randomSplit(columns, { seed: 42 }), a);
    assert.notDeepEqual(randomSplit(columns, { seed: 43 }).test, a.test);
    const b = randomSplit(columns, { seed: 1, testFraction: 0.1 });
    assertPartition(b, n);
    assert.equal(b.test.length, Math.round(n * 0.1));
  });

  it('k-fold: the k test sets partition the rows, sizes within one, each train the complement', () => {
    const folds = kFold(columns, { k: 5, seed: 7 });
    assert.equal(folds.length, 5);
    const seen = new Uint8Array(n);
    for (const fold of folds) {
      assertPartition(fold, n);
      assert.ok(Math.abs(fold.test.length - n / 5) < 1);
      for (const r of fold.test) seen[r]++;
    }
    assert.ok(seen.every((c) => c === 1), 'every row is in exactly one test fold');
    assert.deepEqual(kFold(columns, { k: 5, seed: 7 }), folds);
  });

  it('stratified: each user gives round(25 %) of their ratings to test and keeps at least one in train', () => {
    const split = stratifiedSplit(columns, { seed: 5 });
    assertPartition(split, n);
    const train = byUser(columns, split.train);
    const test = byUser(columns, split.test);
    for (const [user, rows] of byUser(columns, Array.from({ length: n }, (_, i) => i))) {
      const c = rows.length;
      const expected = Math.min(Math.round(c * 0.25), c - 1);
      assert.equal(test.get(user)?.length ?? 0, expected, `user ${user} with ${c} ratings`);
      assert.ok((train.get(user)?.length ?? 0) >= 1, `user ${user} keeps a training rating`);
    }
    assert.deepEqual(stratifiedSplit(columns, { seed: 5 }), split);
    assert.notDeepEqual(stratifiedSplit(columns, { seed: 6 }).test, split.test);
  });

  it('stratified over given rows: a validation split of a training side, both sides within those rows, per user', () => {
    const outer = stratifiedSplit(columns, { seed: 5 });
    const inner = stratifiedSplit(columns, { seed: 6, rows: outer.train });
    const all = [...inner.train, ...inner.test].sort((a, b) => a - b);
    assert.deepEqual(all, [...outer.train], 'the two sides partition the rows given');
    for (const side of [inner.train, inner.test]) for (let i = 1; i < side.length; i++) assert.ok(side[i - 1] < side[i]);
    const test = byUser(columns, inner.test);
    for (const [user, rows] of byUser(columns, outer.train)) {
      const c = rows.length;
      assert.equal(test.get(user)?.length ?? 0, Math.min(Math.round(c * 0.25), c - 1), `user ${user}`);
    }
  });

  it('stratified k-fold: the folds partition the rows and each holds about 1/k of every user\'s ratings', () => {
    const folds = stratifiedKFold(columns, { k: 4, seed: 9 });
    assert.equal(folds.length, 4);
    const seen = new Uint8Array(n);
    const users = byUser(columns, Array.from({ length: n }, (_, i) => i));
    for (const fold of folds) {
      assertPartition(fold, n);
      for (const r of fold.test) seen[r]++;
      const test = byUser(columns, fold.test);
      for (const [user, rows] of users) {
        const got = test.get(user)?.length ?? 0;
        assert.ok(got === Math.floor(rows.length / 4) || got === Math.ceil(rows.length / 4), `user ${user}: ${got} of ${rows.length}`);
      }
    }
    assert.ok(seen.every((c) => c === 1), 'every row is in exactly one test fold');
    assert.deepEqual(stratifiedKFold(columns, { k: 4, seed: 9 }), folds);
    assert.throws(() => stratifiedKFold(columns, { k: 1, seed: 1 }), /k must be a whole number from 2/);
  });

  it("temporal: each user's latest rating (ties: the later row) is the test set; single-rating users stay in train", () => {
    const split = temporalLeaveLastOut(columns);
    assertPartition(split, n);
    const expected: number[] = [];
    for (const rows of byUser(columns, Array.from({ length: n }, (_, i) => i)).values()) {
      if (rows.length < 2) continue;
      let last = rows[0];
      for (const r of rows) if (columns.timestamps[r] > columns.timestamps[last] || (columns.timestamps[r] === columns.timestamps[last] && r > last)) last = r;
      expected.push(last);
    }
    assert.deepEqual([...split.test], expected.sort((a, b) => a - b));
  });

  it('a tiny hand-made table', () => {
    const b = new RatingsBuilder();
    b.push(1, 10, 4, 3000); // row 0
    b.push(2, 10, 3, 1000); // row 1: user 2's only rating
    b.push(1, 11, 5, 5000); // row 2: user 1's latest, tied with row 3
    b.push(1, 12, 2, 5000); // row 3: the later row of the tie → test
    const split = temporalLeaveLastOut(b.finish());
    assert.deepEqual([...split.test], [3]);
    assert.deepEqual([...split.train], [0, 1, 2]);
  });

  it('names a bad parameter', () => {
    assert.throws(() => randomSplit(columns, { seed: 1, testFraction: 1 }), /testFraction must be between 0 and 1/);
    assert.throws(() => kFold(columns, { k: 1, seed: 1 }), /k must be a whole number from 2/);
    const tiny = new RatingsBuilder();
    tiny.push(1, 1, 1, 0);
    tiny.push(1, 2, 1, 0);
    assert.throws(() => kFold(tiny.finish(), { k: 3, seed: 1 }), /k = 3 is more than the 2 ratings/);
  });
});
