import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RatingsBuilder } from '../../../src/recommend/data/ratings-parse.js';
import { loadRatings, ratingsFingerprint, ratingsPath, saveRatings } from '../../../src/recommend/data/ratings-store.js';
import { tempDir } from '../../helpers/tmp.js';

function sample(n: number, seed = 1) {
  const b = new RatingsBuilder(4);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    b.push(x % 1000, (x >> 8) % 5000, ((x % 10) + 1) / 2, 1_400_000_000_000 + x);
  }
  return b.finish();
}

describe('ratings store', () => {
  it('round-trips the columns exactly, with the fingerprint', () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const n of [0, 1, 3, 100_000]) {
        const columns = sample(n, n + 1);
        const sub = join(dir, `n${n}`);
        const header = saveRatings(sub, columns, { layout: 'u.data' });
        const loaded = loadRatings(sub);
        assert.deepEqual(loaded.columns.users, columns.users);
        assert.deepEqual(loaded.columns.movies, columns.movies);
        assert.deepEqual(loaded.columns.ratings, columns.ratings);
        assert.deepEqual(loaded.columns.timestamps, columns.timestamps);
        assert.equal(loaded.fingerprint, header.fingerprint);
        assert.equal(loaded.fingerprint, ratingsFingerprint(columns));
        assert.deepEqual(loaded.header.meta, { layout: 'u.data' });
        assert.deepEqual(readdirSync(sub), ['ratings.bin']); // no temp file left
      }
    } finally {
      cleanup();
    }
  });

  it('fingerprints differ when the data differs', () => {
    const a = sample(50_000, 1);
    const b = sample(50_000, 1);
    assert.equal(ratingsFingerprint(a), ratingsFingerprint(b));
    b.ratings[25_000] += 0.5;
    assert.notEqual(ratingsFingerprint(a), ratingsFingerprint(b));
    assert.notEqual(ratingsFingerprint(sample(10, 1)), ratingsFingerprint(sample(11, 1)));
  });

  it('names a missing or foreign file', () => {
    const { dir, cleanup } = tempDir();
    try {
      assert.throws(() => loadRatings(dir), /no ratings stored: .*ratings\.bin not found/);
      writeFileSync(ratingsPath(dir), 'hello world, not ratings');
      assert.throws(() => loadRatings(dir), /is not a streamrec ratings file/);
    } finally {
      cleanup();
    }
  });
});
