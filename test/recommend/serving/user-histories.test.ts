import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RatingColumns } from '../../../src/recommend/data/ratings-parse.js';
import { RatingsOverlay, TrainingHistories, UserHistories } from '../../../src/recommend/serving/user-histories.js';
import { Random } from '../../../src/util/random.js';

function columnsOf(rows: [number, number, number, number][]): RatingColumns {
  return {
    users: Int32Array.from(rows, (r) => r[0]),
    movies: Int32Array.from(rows, (r) => r[1]),
    ratings: Float32Array.from(rows, (r) => r[2]),
    timestamps: Float64Array.from(rows, (r) => r[3]),
  };
}

/** user → movie → rating, the plain way. */
function asMap(movies: Int32Array, ratings: Float32Array): Map<number, number> {
  return new Map(Array.from(movies, (m, i) => [m, ratings[i]!]));
}

describe('user histories', () => {
  it('groups the training ratings by user, as a brute-force grouping does', async () => {
    const random = new Random(3);
    const rows: [number, number, number, number][] = [];
    const seen = new Set<string>();
    while (rows.length < 5000) {
      const u = 1 + Math.floor(random.next() * 200) * 7; // sparse ids
      const m = 1 + Math.floor(random.next() * 300);
      if (seen.has(`${u}:${m}`)) continue;
      seen.add(`${u}:${m}`);
      rows.push([u, m, 0.5 + Math.floor(random.next() * 10) / 2, 1000 + rows.length]);
    }
    const base = await TrainingHistories.fromColumns(columnsOf(rows));
    const expected = new Map<number, Map<number, number>>();
    for (const [u, m, r] of rows) {
      if (!expected.has(u)) expected.set(u, new Map());
      expected.get(u)!.set(m, r);
    }
    assert.equal(base.size, expected.size);
    assert.equal(base.ratingCount, rows.length);
    assert.equal(base.maxTimestamp, 1000 + rows.length - 1);
    for (const [u, movies] of expected) {
      const got = base.of(u)!;
      assert.deepEqual(asMap(got.movies, got.ratings), movies, `user ${u}`);
    }
    assert.equal(base.of(2), null, 'a user not in the data');
  });

  it('merges streamed ratings over the training ones: a re-rating replaces, new ones add, fresh is set', async () => {
    const base = await TrainingHistories.fromColumns(columnsOf([[1, 10, 4, 0], [1, 11, 2, 0], [2, 10, 5, 0]]));
    const overlay = new RatingsOverlay();
    const histories = new UserHistories(base, overlay);
    const before = histories.get(1);
    assert.equal(before.fresh, undefined);
    assert.deepEqual(asMap(before.movies, before.ratings), new Map([[10, 4], [11, 2]]));

    overlay.add({ userId: 1, movieId: 11, rating: 4.5, timestamp: 5 });
    overlay.add({ userId: 1, movieId: 12, rating: 3, timestamp: 6 });
    const after = histories.get(1);
    assert.equal(after.fresh, true);
    assert.deepEqual(asMap(after.movies, after.ratings), new Map([[10, 4], [11, 4.5], [12, 3]]));
    assert.equal(histories.get(1), after, 'kept until the next rating');
    overlay.add({ userId: 1, movieId: 12, rating: 1, timestamp: 7 });
    assert.deepEqual(asMap(histories.get(1).movies, histories.get(1).ratings), new Map([[10, 4], [11, 4.5], [12, 1]]));

    assert.equal(histories.knows(3), false);
    assert.equal(histories.get(3).movies.length, 0);
    overlay.add({ userId: 3, movieId: 10, rating: 5, timestamp: 8 });
    assert.equal(histories.knows(3), true);
    assert.deepEqual(asMap(histories.get(3).movies, histories.get(3).ratings), new Map([[10, 5]]));
    assert.equal(histories.get(2).fresh, undefined, 'other users untouched');
    assert.equal(overlay.ratingCount, 3);
    assert.equal(overlay.applied, 4);
    assert.deepEqual(overlay.since(6).map((r) => r.timestamp), [7, 8]);
  });

  it('bounds the overlay by dropping the users updated longest ago', () => {
    const overlay = new RatingsOverlay(4);
    overlay.add({ userId: 1, movieId: 1, rating: 5, timestamp: 0 });
    overlay.add({ userId: 2, movieId: 1, rating: 5, timestamp: 0 });
    overlay.add({ userId: 1, movieId: 2, rating: 5, timestamp: 0 }); // user 1 is now the most recent
    overlay.add({ userId: 3, movieId: 1, rating: 5, timestamp: 0 });
    overlay.add({ userId: 3, movieId: 2, rating: 5, timestamp: 0 });
    assert.equal(overlay.has(2), false, 'user 2 updated longest ago');
    assert.equal(overlay.has(1), true);
    assert.equal(overlay.has(3), true);
    assert.equal(overlay.ratingCount, 4);
  });
});
