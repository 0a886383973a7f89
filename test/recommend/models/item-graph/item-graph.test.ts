import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInteractions } from '../../../../src/recommend/data/interactions.js';
import type { RatingColumns } from '../../../../src/recommend/data/ratings-parse.js';
import { CorruptArtefactError } from '../../../../src/recommend/models/array-file.js';
import type { ItemGraphParams } from '../../../../src/recommend/models/item-graph/item-graph-params.js';
import { trainItemGraph } from '../../../../src/recommend/models/item-graph/item-graph-train.js';
import { ItemGraphModel } from '../../../../src/recommend/models/item-graph/item-graph.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { randomWatches } from '../../../helpers/random-watches.js';
import { tempDir } from '../../../helpers/tmp.js';

/**
 * RP3beta from its definition with dense matrices: P_ui (users × movies, rows of the binary matrix
 * normalised) and P_iu (movies × users, likewise), both raised to α entrywise; W = P_iu·P_ui, each
 * column j divided by popularity_j^β; the diagonal left out; each row's k heaviest kept.
 */
function bruteForce(columns: RatingColumns, p: ItemGraphParams): { ids: number[]; w: number[][]; kept: Map<number, number>[] } {
  const users = [...new Set(columns.users)].sort((a, b) => a - b);
  const ids = [...new Set(columns.movies)].sort((a, b) => a - b);
  const x = users.map(() => ids.map(() => 0));
  columns.users.forEach((u, k) => (x[users.indexOf(u)][ids.indexOf(columns.movies[k])] = 1));
  const rowSum = x.map((row) => row.reduce((a, b) => a + b, 0));
  const colSum = ids.map((_, j) => x.reduce((a, row) => a + row[j], 0));
  const pui = x.map((row, u) => row.map((v) => (v / rowSum[u]) ** p.alpha));
  const piu = ids.map((_, i) => users.map((_, u) => (x[u][i] / colSum[i]) ** p.alpha));
  const w = ids.map((_, i) => ids.map((_, j) => {
    let s = 0;
    for (let u = 0; u < users.length; u++) s += piu[i][u] * pui[u][j];
    return s / colSum[j] ** p.beta;
  }));
  const kept = w.map((row, i) => {
    const entries = row.map((v, j) => ({ j, v })).filter((e) => e.j !== i && e.v > 0).sort((a, b) => b.v - a.v || a.j - b.j).slice(0, p.neighbours);
    return new Map(entries.map((e) => [ids[e.j], e.v]));
  });
  return { ids, w, kept };
}

const history = (userId: number, movies: number[]): UserHistory => ({ userId, movies: Int32Array.from(movies), ratings: Float32Array.from(movies, () => 3) });

describe('RP3beta (item graph)', () => {
  const columns = randomWatches(9, 90, 35, 0.3, { user: [50, 2], movie: [11, 3] });
  const data = buildInteractions(columns);

  for (const p of [{ alpha: 1, beta: 0.5, neighbours: 8 }, { alpha: 0.7, beta: 0, neighbours: 100 }, { alpha: 1.3, beta: 0.9, neighbours: 3 }]) {
    it(`keeps each row's heaviest entries of W = P_iu·P_ui / pop^β, as explicit matrix products give them (α ${p.alpha}, β ${p.beta}, k ${p.neighbours})`, async () => {
      const model = await trainItemGraph(data, p, { threads: 1 });
      const { ids, w, kept } = bruteForce(columns, p);
      ids.forEach((a, i) => {
        const want = [...kept[i].values()];
        const got = model.similar(a, 1000).map((s) => s.movieId);
        // Equal weights may be summed in another order here: the weights, position by position,
        // must agree (so the order does, up to exact ties), and each kept movie's weight too.
        assert.equal(got.length, want.length, `row of movie ${a}`);
        got.forEach((b, at) => {
          const v = w[i][ids.indexOf(b)];
          assert.ok(Math.abs(model.weight(a, b) - v) <= 1e-6 * v, `W[${a}][${b}]`);
          assert.ok(Math.abs(v - want[at]) <= 1e-9 * want[at], `row of movie ${a}, position ${at}`);
        });
      });
    });
  }

  it('gives the same rows from worker threads as in one thread', async () => {
    const p = { alpha: 1, beta: 0.4, neighbours: 10 };
    const one = await trainItemGraph(data, p, { threads: 1 });
    const two = await trainItemGraph(data, p, { threads: 2 });
    for (const id of data.movies.ids) assert.deepEqual(two.similar(id, 100), one.similar(id, 100));
  });

  it('scores a history by summing its kept rows, whatever the ratings, the history never listed', async () => {
    const model = await trainItemGraph(data, { alpha: 1, beta: 0.5, neighbours: 8 }, { threads: 1 });
    const { ids, kept } = bruteForce(columns, { alpha: 1, beta: 0.5, neighbours: 8 });
    const user = history(7, [ids[2], ids[10], ids[25]]);
    const sums = new Map<number, number>();
    for (const h of user.movies) for (const [j, v] of kept[ids.indexOf(h)]) if (!user.movies.includes(j)) sums.set(j, (sums.get(j) ?? 0) + v);
    const want = [...sums].map(([movieId, score]) => ({ movieId, score })).sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    const got = model.recommend(user, 10);
    assert.deepEqual(got.map((s) => s.movieId), want.slice(0, 10).map((s) => s.movieId));
    got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-6 * want[i].score));
    assert.deepEqual(model.recommend({ ...user, ratings: Float32Array.from([5, 0.5, 2]) }, 10), got);
    const candidates = Int32Array.from([got[3].movieId, got[0].movieId, 999999]);
    assert.deepEqual(model.recommend(user, 5, { candidates }).map((s) => s.movieId), [got[0].movieId, got[3].movieId]);
    assert.equal(model.recommend(user, 10, { exclude: (id) => id === got[0].movieId })[0].movieId, got[1].movieId);
  });

  it('folds in a new user\'s ratings at once', async () => {
    const model = await trainItemGraph(data, {}, { threads: 1 });
    assert.deepEqual(model.recommend(emptyHistory(1), 10), []);
    const ids = [...data.movies.ids];
    const list = model.recommend(history(1, [ids[0], ids[1], ids[2]]), 10);
    assert.equal(list.length, 10);
    assert.ok(list.every((s) => ![ids[0], ids[1], ids[2]].includes(s.movieId)));
  });

  it('answers similar movies by W[i][j] / W[i][i], in (0, 1], heaviest first', async () => {
    const p = { alpha: 1, beta: 0, neighbours: 6 };
    const model = await trainItemGraph(data, p, { threads: 1 });
    const { ids, w, kept } = bruteForce(columns, p);
    const got = model.similar(ids[4], 6);
    assert.deepEqual(new Set(got.map((s) => s.movieId)), new Set(kept[4].keys()));
    got.forEach((s) => {
      const want = Math.min(1, w[4][ids.indexOf(s.movieId)] / w[4][4]);
      assert.ok(Math.abs(s.score - want) < 1e-6 && s.score > 0 && s.score <= 1);
    });
    assert.deepEqual(model.similar(424242, 5), []);
  });

  it('saves and loads: the same lists; a damaged file is refused', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const model = await trainItemGraph(data, { neighbours: 12 }, { threads: 1 });
      const files = model.save(dir);
      const loaded = ItemGraphModel.load(dir);
      const ids = [...data.movies.ids];
      const user = history(3, [ids[1], ids[6]]);
      assert.deepEqual(loaded.recommend(user, 10), model.recommend(user, 10));
      assert.deepEqual(loaded.similar(ids[3], 10), model.similar(ids[3], 10));
      assert.equal(loaded.predict(user, ids[2]), model.predict(user, ids[2]));
      assert.equal(loaded.params.neighbours, 12);
      const bytes = readFileSync(files[0]);
      bytes[bytes.length - 3] ^= 0x5a;
      writeFileSync(join(dir, 'rp3beta.bin'), bytes);
      assert.throws(() => ItemGraphModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
