// Reading ratings.bin in bounded pieces for the serving worker: the same rows as the columns it
// was written from, across many reads, and a damaged file named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import type { RatingColumns } from '../../../src/recommend/data/ratings-parse.js';
import { ratingsPath, saveRatings } from '../../../src/recommend/data/ratings-store.js';
import { openRatingRows } from '../../../src/recommend/serving/ratings-file-rows.js';
import { Random } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';

describe('ratings file rows', () => {
  it('reads users whole, movies and ratings by ranges, and the newest time, as the columns hold them', () => {
    const { dir, cleanup } = tempDir();
    try {
      // 2.5M rows: every column spans several 8 MB reads.
      const n = 2_500_000;
      const random = new Random(9);
      const columns: RatingColumns = {
        users: Int32Array.from({ length: n }, () => 1 + random.int(0, 50_000)),
        movies: Int32Array.from({ length: n }, () => 1 + random.int(0, 9_000)),
        ratings: Float32Array.from({ length: n }, () => (1 + random.int(0, 9)) / 2),
        timestamps: Float64Array.from({ length: n }, () => 1.4e12 + random.int(0, 1e9)),
      };
      columns.timestamps[n - 7] = 1.5e12; // the newest, near the end
      saveRatings(dir, columns);
      const rows = openRatingRows(dir);
      try {
        assert.equal(rows.count, n);
        assert.deepEqual(rows.users, columns.users);
        assert.equal(rows.maxTimestamp, 1.5e12);
        for (const [from, to] of [[0, 10], [1_999_990, 2_000_010], [1_500_000, n]]) {
          const slice = rows.slice(from, to);
          assert.deepEqual(slice.movies, columns.movies.subarray(from, to), `movies ${from}..${to}`);
          assert.deepEqual(slice.ratings, columns.ratings.subarray(from, to), `ratings ${from}..${to}`);
        }
      } finally {
        rows.close();
      }
      truncateSync(ratingsPath(dir), 1000);
      assert.throws(() => openRatingRows(dir), (err: Error) => err.message === `${ratingsPath(dir)} is truncated`);
      writeFileSync(ratingsPath(dir), 'userId,movieId\n');
      assert.throws(() => openRatingRows(dir), /is not a streamrec ratings file/);
      assert.throws(() => openRatingRows(`${dir}/nothing`), /no ratings stored: .*nothing\/ratings\.bin not found/);
    } finally {
      cleanup();
    }
  });
});
