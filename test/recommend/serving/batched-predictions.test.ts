// What serving a request does once per history instead of once per listed movie must not change an
// answer: each model's predictMany is its predict per movie to the last bit, for trained users,
// fresh and unknown histories and unknown movies; and the content profile computed four rows at a
// time is the one-row-at-a-time recipe to the last bit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset } from '../../../src/recommend/data/dataset.js';
import { ContentModel, type Profile } from '../../../src/recommend/models/content/content.js';
import { predictions, type Recommender, type UserHistory } from '../../../src/recommend/models/recommender.js';
import { ModelRegistry } from '../../../src/recommend/registry/registry.js';
import { loadModelSet, type ModelSet } from '../../../src/recommend/serving/model-set.js';
import { RecommendationService } from '../../../src/recommend/serving/recommendation-service.js';
import { Random } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';
import { historyOf, storeSynthDataset, trainAllIntoDataDir } from './fixtures.js';

/** The content profile as one row at a time computes it (the recipe profileOf must equal). */
function referenceProfile(model: ContentModel, user: UserHistory): Omit<Profile, 'rated'> | null {
  const { vectors, index, dims: k } = internals(model);
  const n = user.movies.length;
  if (n === 0) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += user.ratings[i];
  const meanRating = sum / n;
  const rated: number[] = [];
  const query = new Float64Array(k);
  let liked = 0;
  for (let h = 0; h < n; h++) {
    const m = index(user.movies[h]);
    if (m < 0) continue;
    rated.push(m);
    if (!(user.ratings[h] >= meanRating)) continue;
    liked++;
    for (let j = 0; j < k; j++) query[j] += vectors[m * k + j];
  }
  if (liked === 0) return null;
  let norm = 0;
  for (let j = 0; j < k; j++) {
    query[j] /= liked;
    norm += query[j] * query[j];
  }
  norm = Math.sqrt(norm);
  if (!(norm > 0)) return null;
  let cosSum = 0;
  for (const m of rated) {
    let s = 0;
    for (let j = 0; j < k; j++) s += query[j] * vectors[m * k + j];
    cosSum += s / norm;
  }
  return { query, norm, meanRating, meanCos: cosSum / rated.length };
}

function internals(model: ContentModel): { vectors: Float32Array; index: (id: number) => number; dims: number } {
  const m = model as unknown as { s: { vectors: Float32Array }; movies: { index(id: number): number }; dims: number };
  return { vectors: m.s.vectors, index: (id) => m.movies.index(id), dims: m.dims };
}

describe('batched predictions', () => {
  let dir: string;
  let cleanup: () => void;
  let dataset: Dataset;
  let set: ModelSet;
  /** Histories of every kind: trained users (as served, and fresh), a shuffled one with unknown movies, one rating, none. */
  let histories: UserHistory[];
  let movieIds: number[];

  before(async () => {
    ({ dir, cleanup } = tempDir('batched-'));
    dataset = await storeSynthDataset(dir);
    await trainAllIntoDataDir(dir, dataset);
    set = await loadModelSet(new ModelRegistry(dir), dir, null);
    const random = new Random(5);
    const users = [...new Set(dataset.ratings.columns.users)].slice(0, 25);
    histories = users.map((u) => historyOf(dataset, u));
    histories.push(...users.slice(0, 5).map((u) => ({ ...historyOf(dataset, u), fresh: true })));
    const long = historyOf(dataset, users[0]);
    histories.push({ userId: 999_001, movies: Int32Array.from([...long.movies, 777_777, 888_888]), ratings: Float32Array.from([...long.ratings, 5, 1]), fresh: true });
    histories.push({ userId: 999_002, movies: Int32Array.from([long.movies[0]]), ratings: Float32Array.from([4]) });
    histories.push({ userId: 999_003, movies: new Int32Array(0), ratings: new Float32Array(0) });
    histories.push({ userId: users[1], movies: new Int32Array(0), ratings: new Float32Array(0) });
    const catalogue = [...new Set(dataset.ratings.columns.movies)];
    movieIds = [...Array.from({ length: 40 }, () => catalogue[random.int(0, catalogue.length - 1)]), 777_777, catalogue[0], catalogue[0]];
  });

  after(() => cleanup());

  it('every model (and the popularity fallback) predicts a list to the bit what predict gives per movie', () => {
    const models: [string, Recommender][] = [...set.models, ['popularity', set.popularity]];
    assert.ok(models.length >= 7, models.map(([n]) => n).join(', '));
    let batched = 0;
    for (const [name, model] of models) {
      if (model.predictMany !== undefined) batched++;
      for (const history of histories) {
        const one = movieIds.map((id) => model.predict(history, id));
        const many = Array.from(predictions(model, history, movieIds));
        assert.deepEqual(many.map((x, i) => Object.is(x, one[i])), one.map(() => true), `${name}, user ${history.userId}: ${many.join(',')} vs ${one.join(',')}`);
        assert.deepEqual(Array.from(predictions(model, history, [])), []);
      }
    }
    assert.ok(batched >= 5, 'als, itemcf, content, ials and the hybrid batch');
  });

  it('the content profile, four rows at a time, is the one-row-at-a-time recipe to the bit', () => {
    const content = set.models.get('content') as ContentModel;
    assert.ok(content instanceof ContentModel);
    let profiles = 0;
    for (const history of histories) {
      const got = content.profileOf(history);
      const want = referenceProfile(content, history);
      if (want === null) {
        assert.equal(got, null);
        continue;
      }
      profiles++;
      assert.ok(got !== null);
      assert.ok(Object.is(got.meanCos, want.meanCos), `meanCos ${got.meanCos} vs ${want.meanCos}`);
      assert.ok(Object.is(got.norm, want.norm));
      assert.ok(Object.is(got.meanRating, want.meanRating));
      assert.deepEqual(Array.from(got.query), Array.from(want.query));
    }
    assert.ok(profiles >= 25);
  });

  it('a served answer rates each listed movie with the model\'s predict', () => {
    const service = new RecommendationService({ dataDir: dir, pollEveryMs: 0 });
    return service.start().then(() => {
      try {
        for (const history of histories.slice(0, 10)) {
          const answer = service.recommend(history.userId, { n: 12, useCache: false });
          const served = service.historyOf(history.userId)!;
          const model = service.modelSet!.models.get(service.modelSet!.defaultModel)!;
          assert.ok(answer.items.length > 0);
          for (const item of answer.items) assert.equal(item.predicted_rating, Math.round(model.predict(served, item.movie_id) * 1e4) / 1e4);
        }
      } finally {
        void service.close();
      }
    });
  });
});
