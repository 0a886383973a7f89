// Every model's `similar` answers on the one documented 0–1 scale (recommender.ts): ALS the cosine
// of item factors clamped at 0, item-CF its cosine, content its cosine, the hybrid the weighted mean
// of its components' similarities in its fused order, popularity nothing.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractions, type Interactions } from '../../../src/recommend/data/interactions.js';
import type { Dataset } from '../../../src/recommend/data/dataset.js';
import { AlsModel } from '../../../src/recommend/models/als/als.js';
import { trainContent } from '../../../src/recommend/models/content/content.js';
import { HybridModel } from '../../../src/recommend/models/hybrid/hybrid.js';
import { trainItemCf } from '../../../src/recommend/models/item-cf/item-cf.js';
import { PopularityModel } from '../../../src/recommend/models/popularity/popularity.js';
import type { Recommender, Scored } from '../../../src/recommend/models/recommender.js';
import { Random } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';
import { fitAls, storeSynthDataset } from '../serving/fixtures.js';
import { cosine } from '../../helpers/cosine.js';

function inUnitRange(list: Scored[], what: string): void {
  for (const s of list) assert.ok(Number.isFinite(s.score) && s.score >= 0 && s.score <= 1, `${what}: ${s.movieId} has similarity ${s.score}`);
}


/** Each movie's dense vector of ratings over the users (0 where unrated). */
function ratingVectors(data: Interactions): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  for (let m = 0; m < data.movies.size; m++) out.set(data.movies.ids[m], new Float64Array(data.users.size));
  for (let u = 0; u < data.users.size; u++) {
    for (let k = data.userPtr[u]; k < data.userPtr[u + 1]; k++) out.get(data.movies.ids[data.userItems[k]])![u] = data.userRatings[k];
  }
  return out;
}

describe('similarities on one 0–1 scale', () => {
  let dataset: Dataset;
  let data: Interactions;
  let cleanup: () => void;
  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    dataset = await storeSynthDataset(t.dir, { users: 120, movies: 40, ratings: 2400, rank: 3, noise: 0.4, seed: 3, genomeTags: 8 });
    data = buildInteractions(dataset.ratings.columns);
  });
  after(() => cleanup());

  it('ALS: the cosine of the item factors, clamped at 0 (negative cosines included in the data)', () => {
    const rng = new Random(9);
    const k = 3;
    const movieIds = Int32Array.from({ length: 30 }, (_, i) => i + 1);
    const movieFactors = Float32Array.from({ length: 30 * k }, () => rng.normal());
    const model = AlsModel.fromFactors({
      userIds: Int32Array.from([1]), movieIds, userFactors: new Float32Array(k), movieFactors,
      userBias: new Float32Array(1), movieBias: new Float32Array(30), rank: k, globalMean: 3, scale: { min: 0.5, max: 5 },
    });
    const vec = (id: number) => movieFactors.subarray((id - 1) * k, id * k);
    let clamped = 0;
    for (const id of [1, 7, 20]) {
      const got = model.similar(id, 29);
      assert.equal(got.length, 29);
      inUnitRange(got, `als similar(${id})`);
      for (const s of got) {
        const truth = cosine(vec(id), vec(s.movieId));
        if (truth < 0) clamped++;
        assert.ok(Math.abs(s.score - Math.max(0, truth)) < 1e-5, `als ${id}→${s.movieId}: ${s.score} vs cosine ${truth}`);
      }
    }
    assert.ok(clamped > 0, 'the data has negative cosines, shown as 0');
  });

  it('ALS trained: every similarity in [0, 1]', async () => {
    const als = await fitAls(dataset, { rank: 4, iterations: 4, lambda: 0.1, seed: 42 }, data);
    for (const id of data.movies.ids.slice(0, 10)) inUnitRange(als.similar(id, 40), `als similar(${id})`);
  });

  it('item-CF: the cosine of the rating vectors (no shrinkage), and in [0, 1] with the default shrinkage', async () => {
    const plain = await trainItemCf(data, { similarity: 'cosine', minCommonUsers: 1, shrinkage: 0, neighbours: 40 }, { threads: 1 });
    const vectors = ratingVectors(data);
    for (const id of data.movies.ids.slice(0, 10)) {
      const got = plain.similar(id, 40);
      assert.ok(got.length > 0);
      inUnitRange(got, `itemcf similar(${id})`);
      for (const s of got) assert.ok(Math.abs(s.score - cosine(vectors.get(id)!, vectors.get(s.movieId)!)) < 1e-5, `itemcf ${id}→${s.movieId}`);
    }
    const shrunk = await trainItemCf(data, {}, { threads: 1 });
    for (const id of data.movies.ids.slice(0, 10)) inUnitRange(shrunk.similar(id, 40), `itemcf (defaults) similar(${id})`);
  });

  it('content: the cosine of the movies\' vectors, in [0, 1]', () => {
    const model = trainContent({ data, catalogue: dataset.catalogue, genome: dataset.genome, tags: dataset.tags });
    let seen = 0;
    for (const id of data.movies.ids.slice(0, 10)) {
      const got = model.similar(id, 40);
      seen += got.length;
      inUnitRange(got, `content similar(${id})`);
      for (const s of got) assert.ok(Math.abs(s.score - model.movieCosine(id, s.movieId)!) < 1e-5, `content ${id}→${s.movieId}`);
    }
    assert.ok(seen > 0);
  });

  it('hybrid: the weighted mean of its components\' similarities, in the fused order; popularity has none', async () => {
    const als = await fitAls(dataset, { rank: 4, iterations: 4, lambda: 0.1, seed: 42 }, data);
    const itemcf = await trainItemCf(data, { similarity: 'cosine', minCommonUsers: 1, shrinkage: 0, neighbours: 40 }, { threads: 1 });
    const popularity = PopularityModel.train(data, dataset.catalogue);
    assert.deepEqual(popularity.similar(), []);
    const components = new Map<string, Recommender>([['als', als], ['itemcf', itemcf], ['popularity', popularity]]);
    const weights = { als: 0.7, itemcf: 0.3, popularity: 0.5 };
    const hybrid = new HybridModel(components, { rating: { intercept: 0, weights: { als: 1 } }, ranking: { weights, rrfK: 60, depth: 3 } });
    for (const id of data.movies.ids.slice(0, 5)) {
      const got = hybrid.similar(id, 10);
      assert.equal(got.length, 10);
      inUnitRange(got, `hybrid similar(${id})`);
      const a = new Map(als.similar(id, 50).map((s) => [s.movieId, s.score]));
      const c = new Map(itemcf.similar(id, 50).map((s) => [s.movieId, s.score]));
      for (const s of got) {
        const want = (0.7 * (a.get(s.movieId) ?? 0) + 0.3 * (c.get(s.movieId) ?? 0)) / (0.7 + 0.3);
        assert.ok(Math.abs(s.score - want) < 1e-9, `hybrid ${id}→${s.movieId}: ${s.score} vs ${want}`);
      }
      // The order is the weighted reciprocal-rank fusion's (depth max(50, 3n), rrfK 60), by brute force.
      const fused = new Map<number, number>();
      for (const [list, w] of [[als.similar(id, 50), 0.7], [itemcf.similar(id, 50), 0.3]] as const) list.forEach((s, r) => fused.set(s.movieId, (fused.get(s.movieId) ?? 0) + w / (60 + r + 1)));
      const order = [...fused].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, 10).map(([m]) => m);
      assert.deepEqual(got.map((s) => s.movieId), order);
      // Far above a reciprocal-rank score (≤ Σw / 61 ≈ 0.025): the scale of a cosine.
      assert.ok(got[0].score > 0.1, `hybrid similar(${id}) top ${got[0].score}`);
    }
  });
});
