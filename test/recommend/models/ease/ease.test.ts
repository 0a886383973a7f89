import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInteractions } from '../../../../src/recommend/data/interactions.js';
import type { RatingColumns } from '../../../../src/recommend/data/ratings-parse.js';
import { CorruptArtefactError } from '../../../../src/recommend/models/array-file.js';
import { mostRated, trainEase } from '../../../../src/recommend/models/ease/ease-train.js';
import { EaseModel } from '../../../../src/recommend/models/ease/ease.js';
import { invertSpd, NotPositiveDefiniteError } from '../../../../src/recommend/models/ease/spd-inverse.js';
import { solveDense } from '../../../../src/recommend/models/linalg.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { Random } from '../../../../src/util/random.js';
import { randomWatches } from '../../../helpers/random-watches.js';
import { tempDir } from '../../../helpers/tmp.js';

/** The inverse of a dense matrix, one column at a time by Gaussian elimination. */
function denseInverse(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const e = new Float64Array(n);
    e[j] = 1;
    const col = solveDense(Float64Array.from(a), e, n);
    for (let i = 0; i < n; i++) out[i * n + j] = col[i];
  }
  return out;
}

/** EASE from its definition on a dense matrix: B = I − P·diag(1/diag(P)), P = (XᵀX + λI)⁻¹ over `ids`. */
function bruteForceEase(columns: RatingColumns, ids: number[], lambda: number): number[][] {
  const n = ids.length;
  const at = new Map(ids.map((id, i) => [id, i]));
  const byUser = new Map<number, Set<number>>();
  columns.users.forEach((u, k) => {
    const i = at.get(columns.movies[k]);
    if (i === undefined) return;
    if (!byUser.has(u)) byUser.set(u, new Set());
    byUser.get(u)!.add(i);
  });
  const g = new Float64Array(n * n);
  for (const items of byUser.values()) for (const a of items) for (const b of items) g[a * n + b] += 1;
  for (let i = 0; i < n; i++) g[i * n + i] += lambda;
  const p = denseInverse(g, n);
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 0 : -p[i * n + j] / p[j * n + j])));
}

const history = (userId: number, movies: number[]): UserHistory => ({ userId, movies: Int32Array.from(movies), ratings: Float32Array.from(movies, () => 4) });

describe('invertSpd', () => {
  for (const simd of [true, false]) it(`matches a dense inverse at block edges (1 … 2 blocks + a partial one), ${simd ? 'SIMD' : 'JS'} tiles`, () => {
    const rng = new Random(5);
    for (const n of [1, 2, 5, 63, 64, 65, 131, 300]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          const v = rng.next() - 0.5;
          a[i * n + j] = v;
          a[j * n + i] = v;
        }
        a[i * n + i] += n;
      }
      const want = denseInverse(a, n);
      const got = invertSpd(Float64Array.from(a), n, undefined, { simd });
      let err = 0;
      for (let k = 0; k < n * n; k++) err = Math.max(err, Math.abs(got[k] - want[k]));
      assert.ok(err < 1e-12, `n = ${n}: max error ${err}`);
    }
  });

  it('refuses a matrix that is not positive definite, naming the pivot', () => {
    const a = Float64Array.from([4, 2, 0, 2, 1, 0, 0, 0, 1]);
    assert.throws(() => invertSpd(a, 3), (err: unknown) => err instanceof NotPositiveDefiniteError && err.row === 1);
  });
});

describe('EASE', () => {
  const columns = randomWatches(3, 120, 40, 0.25, { user: [100, 3], movie: [7, 5] });
  const data = buildInteractions(columns);

  it('fits B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹, as a dense inverse gives it', () => {
    const model = trainEase(data, { lambda: 7, maxItems: 1000 });
    const ids = [...data.movies.ids];
    const want = bruteForceEase(columns, ids, 7);
    let err = 0;
    let largest = 0;
    ids.forEach((a, i) => ids.forEach((b, j) => {
      err = Math.max(err, Math.abs(model.weight(a, b) - want[i][j]));
      largest = Math.max(largest, Math.abs(want[i][j]));
    }));
    assert.ok(largest > 0.01, 'the example has weights worth comparing');
    // B is kept in single precision.
    assert.ok(err < 1e-6 * Math.max(1, largest), `max error ${err}`);
  });

  it('covers the most-rated movies only; a movie beyond them is never recommended', () => {
    const model = trainEase(data, { lambda: 7, maxItems: 12 });
    assert.equal(model.coveredMovies, 12);
    const covered = new Set(Array.from(mostRated(data, 12), (m) => data.movies.ids[m]));
    const counts = Array.from({ length: data.movies.size }, (_, m) => data.moviePtr[m + 1] - data.moviePtr[m]);
    const threshold = Math.min(...[...covered].map((id) => counts[data.movies.index(id)]));
    assert.ok(counts.every((c, m) => covered.has(data.movies.ids[m]) || c <= threshold), 'the covered ones are the most rated');
    // The weights over the covered movies are EASE of those movies alone.
    const want = bruteForceEase(columns, [...covered].sort((a, b) => a - b), 7);
    const ids = [...covered].sort((a, b) => a - b);
    ids.forEach((a, i) => ids.forEach((b, j) => assert.ok(Math.abs(model.weight(a, b) - want[i][j]) < 1e-6)));
    const listed = model.recommend(history(1, [ids[0], ids[1]]), 50);
    assert.ok(listed.length > 0 && listed.every((s) => covered.has(s.movieId)));
    const outside = data.movies.ids.find((id) => !covered.has(id))!;
    assert.deepEqual(model.recommend(history(1, [outside]), 10), [], 'a history with no covered movie: the caller falls back');
  });

  it('scores a history by summing its rows of B, whatever the ratings, the history never listed', () => {
    const model = trainEase(data, { lambda: 7, maxItems: 1000 });
    const ids = [...data.movies.ids];
    const user = history(999, [ids[3], ids[8], ids[20]]);
    const want = ids
      .filter((id) => !user.movies.includes(id))
      .map((id) => ({ movieId: id, score: [...user.movies].reduce((s, h) => s + model.weight(h, id), 0) }))
      .sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    const got = model.recommend(user, 10);
    assert.deepEqual(got.map((s) => s.movieId), want.slice(0, 10).map((s) => s.movieId));
    got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-9));
    // Other ratings, same watches: the same list.
    assert.deepEqual(model.recommend({ ...user, ratings: Float32Array.from([1, 5, 2]) }, 10), got);
    // exclude and candidates.
    const excluded = model.recommend(user, 10, { exclude: (id) => id === got[0].movieId });
    assert.equal(excluded[0].movieId, got[1].movieId);
    const candidates = Int32Array.from([got[5].movieId, got[2].movieId, ids[3], got[2].movieId, 123456]);
    assert.deepEqual(model.recommend(user, 10, { candidates }).map((s) => s.movieId), [got[2].movieId, got[5].movieId]);
  });

  it('folds in a new user\'s ratings at once: three ratings give a personal list, a fourth changes it', () => {
    const model = trainEase(data, { lambda: 7, maxItems: 1000 });
    assert.equal(model.knowsUser(424242), false);
    assert.deepEqual(model.recommend(emptyHistory(424242), 10), []);
    const ids = [...data.movies.ids];
    const three = model.recommend(history(424242, [ids[30], ids[31], ids[32]]), 10);
    assert.equal(three.length, 10);
    const four = model.recommend(history(424242, [ids[30], ids[31], ids[32], three[0].movieId]), 10);
    assert.ok(!four.some((s) => s.movieId === three[0].movieId));
    const moved = four.some((s) => three.some((t) => t.movieId === s.movieId && Math.abs(t.score - s.score) > 1e-12));
    assert.ok(moved, 'the new rating moved the scores of the movies still listed');
  });

  it('answers similar movies by partial correlation, in (0, 1], best first', () => {
    const model = trainEase(data, { lambda: 7, maxItems: 1000 });
    const ids = [...data.movies.ids];
    const n = ids.length;
    const g = new Float64Array(n * n);
    const byUser = new Map<number, number[]>();
    columns.users.forEach((u, k) => byUser.set(u, [...(byUser.get(u) ?? []), ids.indexOf(columns.movies[k])]));
    for (const items of byUser.values()) for (const a of items) for (const b of items) g[a * n + b] += 1;
    for (let i = 0; i < n; i++) g[i * n + i] += 7;
    const p = denseInverse(g, n);
    const i = 2;
    const want = ids
      .map((id, j) => ({ movieId: id, score: -p[i * n + j] / Math.sqrt(p[i * n + i] * p[j * n + j]) }))
      .filter((s, j) => j !== i && s.score > 0)
      .sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    const got = model.similar(ids[i], 8);
    assert.deepEqual(got.map((s) => s.movieId), want.slice(0, 8).map((s) => s.movieId));
    got.forEach((s, k) => {
      assert.ok(Math.abs(s.score - want[k].score) < 1e-5);
      assert.ok(s.score > 0 && s.score <= 1);
    });
    assert.deepEqual(model.similar(4242, 5), []);
  });

  it('predicts the damped baseline on the rating scale', () => {
    const model = trainEase(data, { lambda: 7, maxItems: 1000 });
    const p = model.predict(history(1, [data.movies.ids[0]]), data.movies.ids[1]);
    assert.ok(p >= model.scale.min && p <= model.scale.max);
    assert.ok(Math.abs(model.predict(emptyHistory(1), 4242) - data.globalMean) < 1e-9, 'nothing known: the global mean');
  });

  it('saves and loads: the same lists and similarities; a damaged file is refused', () => {
    const { dir, cleanup } = tempDir();
    try {
      const model = trainEase(data, { lambda: 7, maxItems: 30 });
      const files = model.save(dir);
      const loaded = EaseModel.load(dir);
      const ids = [...data.movies.ids];
      const user = history(5, [ids[0], ids[4], ids[9]]);
      assert.deepEqual(loaded.recommend(user, 10), model.recommend(user, 10));
      assert.deepEqual(loaded.similar(ids[1], 5), model.similar(ids[1], 5));
      assert.equal(loaded.predict(user, ids[2]), model.predict(user, ids[2]));
      assert.equal(loaded.knowsUser(columns.users[0]), true);
      assert.deepEqual(loaded.params, { lambda: 7, maxItems: 30 });
      const bytes = readFileSync(files[0]);
      bytes[bytes.length - 5] ^= 0xff;
      writeFileSync(join(dir, 'ease.bin'), bytes);
      assert.throws(() => EaseModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
