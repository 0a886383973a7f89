import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInteractions, type Interactions } from '../../../../src/recommend/data/interactions.js';
import type { RatingColumns } from '../../../../src/recommend/data/ratings-parse.js';
import { CorruptArtefactError } from '../../../../src/recommend/models/array-file.js';
import { ItemCfModel, trainItemCf, type ItemCfParams } from '../../../../src/recommend/models/item-cf/item-cf.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { Random } from '../../../../src/util/random.js';
import { tempDir } from '../../../helpers/tmp.js';

function columns(rows: [number, number, number][]): RatingColumns {
  return {
    users: Int32Array.from(rows.map((r) => r[0])),
    movies: Int32Array.from(rows.map((r) => r[1])),
    ratings: Float32Array.from(rows.map((r) => r[2])),
    timestamps: new Float64Array(rows.length),
  };
}

function history(userId: number, pairs: [number, number][]): UserHistory {
  return { userId, movies: Int32Array.from(pairs.map((p) => p[0])), ratings: Float32Array.from(pairs.map((p) => p[1])) };
}

/**
 * Random ratings on a 0.5 grid, denser for the first movies (popular and obscure ones, so some
 * pairs fall under minCommonUsers); raw ids are sparse so the id mapping is exercised.
 */
function randomRatings(seed: number, users: number, movies: number, density: number): [number, number, number][] {
  const rng = new Random(seed);
  const rows: [number, number, number][] = [];
  for (let u = 0; u < users; u++) {
    for (let m = 0; m < movies; m++) if (rng.chance(density * (1.6 - (1.4 * m) / movies))) rows.push([100 + 3 * u, 7 + 5 * m, rng.int(1, 10) / 2]);
  }
  return rows;
}

/** Every pair's similarity straight from the definition, on a dense matrix. */
function bruteForce(rows: [number, number, number][], p: ItemCfParams): Map<number, Map<number, number>> {
  const byUser = new Map<number, Map<number, number>>();
  for (const [u, m, r] of rows) {
    if (!byUser.has(u)) byUser.set(u, new Map());
    byUser.get(u)!.set(m, r);
  }
  const movies = [...new Set(rows.map((r) => r[1]))];
  const value = new Map<number, Map<number, number>>(); // movie → user → value
  for (const m of movies) value.set(m, new Map());
  for (const [u, ratings] of byUser) {
    const mean = p.similarity === 'adjusted-cosine' ? [...ratings.values()].reduce((a, b) => a + b, 0) / ratings.size : 0;
    for (const [m, r] of ratings) value.get(m)!.set(u, r - mean);
  }
  const norm = (m: number) => Math.sqrt([...value.get(m)!.values()].reduce((a, v) => a + v * v, 0));
  const sims = new Map<number, Map<number, number>>();
  for (const a of movies) {
    sims.set(a, new Map());
    for (const b of movies) {
      if (a === b) continue;
      let dot = 0;
      let common = 0;
      for (const [u, va] of value.get(a)!) {
        const vb = value.get(b)!.get(u);
        if (vb === undefined) continue;
        dot += va * vb;
        common++;
      }
      if (common < p.minCommonUsers || norm(a) === 0 || norm(b) === 0) continue;
      const sim = ((dot / (norm(a) * norm(b))) * common) / (common + p.shrinkage);
      if (sim > 0) sims.get(a)!.set(b, sim);
    }
  }
  return sims;
}

function assertTrueTopK(model: ItemCfModel, truth: Map<number, Map<number, number>>, k: number, label: string): void {
  for (const [movie, eligible] of truth) {
    const got = model.similar(movie, k + 10);
    assert.equal(got.length, Math.min(k, eligible.size), `${label}: movie ${movie} list length`);
    const kept = new Set<number>();
    for (let i = 0; i < got.length; i++) {
      const expected = eligible.get(got[i].movieId);
      assert.ok(expected !== undefined, `${label}: ${got[i].movieId} is not an eligible neighbour of ${movie}`);
      assert.ok(Math.abs(got[i].score - expected) < 1e-5, `${label}: sim(${movie}, ${got[i].movieId}) = ${got[i].score}, brute force ${expected}`);
      if (i > 0) assert.ok(got[i].score <= got[i - 1].score, `${label}: list of ${movie} not sorted`);
      kept.add(got[i].movieId);
    }
    const weakest = got.length > 0 ? got[got.length - 1].score : Infinity;
    for (const [other, sim] of eligible) if (!kept.has(other)) assert.ok(sim <= weakest + 1e-6, `${label}: ${other} (${sim}) beats a kept neighbour of ${movie}`);
  }
}

describe('trainItemCf similarities', () => {
  const rows = randomRatings(11, 60, 40, 0.35);
  const data = buildInteractions(columns(rows));
  for (const similarity of ['cosine', 'adjusted-cosine'] as const) {
    for (const threads of [1, 2]) {
      it(`${similarity}, ${threads} thread(s): shrunk similarities and the true top K equal brute force`, async () => {
        const params: ItemCfParams = { similarity, minCommonUsers: 6, shrinkage: 7, neighbours: 6 };
        const model = await trainItemCf(data, params, { threads });
        const truth = bruteForce(rows, params);
        // The data must exercise the cut-offs: some pairs under minCommonUsers, some lists longer than K.
        assert.ok([...truth.values()].some((m) => m.size > params.neighbours));
        assert.ok([...truth.values()].some((m) => m.size < params.neighbours));
        assertTrueTopK(model, truth, params.neighbours, `${similarity}/${threads}`);
      });
    }
  }

  it('reports progress up to the total and stops on an aborted signal', async () => {
    const seen: number[] = [];
    await trainItemCf(data, {}, { threads: 2, onProgress: (done, total) => seen.push(done / total) });
    assert.equal(seen.at(-1), 1);
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await assert.rejects(trainItemCf(data, {}, { signal: controller.signal }), /stop now/);
  });

  it('names a bad parameter', async () => {
    await assert.rejects(trainItemCf(data, { minCommonUsers: 0 }), /minCommonUsers must be an integer >= 1, got 0/);
    await assert.rejects(trainItemCf(data, { neighbours: 2.5 }), /neighbours/);
    await assert.rejects(trainItemCf(data, { similarity: 'pearson' as never }), /similarity must be/);
    await assert.rejects(trainItemCf(data, {}, { threads: 0 }), /threads/);
  });
});

describe('ItemCfModel on a hand-made example', () => {
  // Movies 1, 2, 3 rated by users 1, 2, 3. Cosine over full vectors:
  // m1 = (5, 4, 0), m2 = (4, 5, 2), m3 = (0, 1, 5).
  const rows: [number, number, number][] = [
    [1, 1, 5], [1, 2, 4],
    [2, 1, 4], [2, 2, 5], [2, 3, 1],
    [3, 2, 2], [3, 3, 5],
  ];
  const sim12 = 40 / Math.sqrt(41 * 45);
  const sim13 = 4 / Math.sqrt(41 * 26);
  const sim23 = 15 / Math.sqrt(45 * 26);
  const mu = 26 / 7;
  const b1 = (9 - 2 * mu) / (2 + 25);
  const b2 = (11 - 3 * mu) / (3 + 25);
  const b3 = (6 - 2 * mu) / (2 + 25);
  let data: Interactions;
  let model: ItemCfModel;

  it('trains the hand-computed similarities', async () => {
    data = buildInteractions(columns(rows));
    model = await trainItemCf(data, { similarity: 'cosine', minCommonUsers: 1, shrinkage: 0, neighbours: 2 });
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
    const s1 = model.similar(1, 5);
    assert.deepEqual(s1.map((s) => s.movieId), [2, 3]);
    close(s1[0].score, sim12);
    close(s1[1].score, sim13);
    const s3 = model.similar(3, 1);
    assert.deepEqual(s3.map((s) => s.movieId), [2]);
    close(s3[0].score, sim23);
  });

  it('predicts baseline + weighted neighbour deviations', () => {
    // One rating of movie 1: movie 2's only rated neighbour is movie 1, so the deviation is taken whole:
    // μ + b_u + b2 + (5 − (μ + b_u + b1)) = 5 + b2 − b1.
    const h = history(50, [[1, 5]]);
    assert.ok(Math.abs(model.predict(h, 2) - (5 + b2 - b1)) < 1e-5);
    // Two rated neighbours of movie 3.
    const h2 = history(1, [[1, 5], [2, 4]]);
    const bu = (5 - mu - b1 + (4 - mu - b2)) / (2 + 10);
    const dev = sim13 * (5 - (mu + bu + b1)) + sim23 * (4 - (mu + bu + b2));
    const expected = mu + bu + b3 + dev / (sim13 + sim23);
    assert.ok(Math.abs(model.predict(h2, 3) - expected) < 1e-5, `${model.predict(h2, 3)} vs ${expected}`);
    // Predictions stay on the scale.
    assert.equal(model.predict(history(9, [[1, 5], [2, 5]]), 3) <= 5, true);
  });

  it('recommends by Σ sim × (r − damped mean), without the history or excluded movies', () => {
    const h = history(1, [[1, 5]]);
    const c = (5 + 5 * mu) / 6;
    const recs = model.recommend(h, 10);
    assert.deepEqual(recs.map((r) => r.movieId), [2, 3]);
    assert.ok(Math.abs(recs[0].score - sim12 * (5 - c)) < 1e-5);
    assert.ok(Math.abs(recs[1].score - sim13 * (5 - c)) < 1e-5);
    assert.deepEqual(model.recommend(h, 10, { exclude: (id) => id === 2 }).map((r) => r.movieId), [3]);
    assert.deepEqual(model.recommend(h, 1).map((r) => r.movieId), [2]);
    const h2 = history(1, [[1, 5], [2, 4]]);
    const c2 = (9 + 5 * mu) / 7;
    const only = model.recommend(h2, 10);
    assert.deepEqual(only.map((r) => r.movieId), [3]);
    assert.ok(Math.abs(only[0].score - (sim13 * (5 - c2) + sim23 * (4 - c2))) < 1e-5);
    // Candidates: only those are scored.
    assert.deepEqual(model.recommend(h, 10, { candidates: Int32Array.from([3, 999]) }).map((r) => r.movieId), [3]);
    // A candidate listed twice is listed once, as every model does.
    assert.deepEqual(model.recommend(h, 10, { candidates: Int32Array.from([3, 3]) }).map((r) => r.movieId), [3]);
  });

  it('never throws for unknown users or movies, and falls back as documented', () => {
    assert.equal(model.knowsUser(1), true);
    assert.equal(model.knowsUser(77), false);
    assert.equal(model.knowsMovie(999), false);
    assert.equal(model.predict(history(1, [[1, 5], [2, 4]]), 999), 4.5);
    assert.ok(Math.abs(model.predict(emptyHistory(77), 999) - mu) < 1e-6);
    // An unknown user with no history: the baseline μ + b_i, no neighbours used.
    assert.ok(Math.abs(model.predict(emptyHistory(77), 1) - (mu + b1)) < 1e-5);
    // No neighbour to score from: [] so the caller's popularity fallback answers (and reports it).
    assert.deepEqual(model.recommend(emptyHistory(77), 10), []);
    assert.deepEqual(model.recommend(history(77, [[999, 4]]), 2), []);
    assert.deepEqual(model.recommend(history(77, [[999, 4]]), 2, { candidates: Int32Array.from([1, 2]) }), []);
    assert.deepEqual(model.similar(999, 5), []);
  });

  it('save → load gives the same answers; a damaged file is refused', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const big = await trainItemCf(buildInteractions(columns(randomRatings(5, 30, 25, 0.4))), { minCommonUsers: 2, neighbours: 4 });
      const files = big.save(dir);
      assert.deepEqual(files, [join(dir, 'itemcf.bin')]);
      const loaded = ItemCfModel.load(dir);
      assert.deepEqual(loaded.params, big.params);
      assert.deepEqual(loaded.scale, big.scale);
      const h = history(100, [[7, 4], [12, 2.5], [17, 5]]);
      for (let m = 7; m < 7 + 5 * 25; m += 5) {
        assert.deepEqual(loaded.similar(m, 10), big.similar(m, 10));
        assert.equal(loaded.predict(h, m), big.predict(h, m));
      }
      assert.deepEqual(loaded.recommend(h, 10), big.recommend(h, 10));
      assert.equal(loaded.knowsUser(100), true);

      const bytes = readFileSync(files[0]);
      bytes[bytes.length - 3] ^= 0xff;
      writeFileSync(files[0], bytes);
      assert.throws(() => ItemCfModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
