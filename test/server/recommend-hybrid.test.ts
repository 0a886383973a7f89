// The recommendation API as `streamrec train` leaves the registry: every model trained, the hybrid
// the default. Each model answers as it does loaded on its own, and a new hybrid is swapped in
// under load.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { EventLog } from '../../src/log/types.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec } from '../../src/movies/rating-event.js';
import type { Dataset } from '../../src/recommend/data/dataset.js';
import { HybridModel } from '../../src/recommend/models/hybrid/hybrid.js';
import { loadRegisteredModel } from '../../src/recommend/models/load-model.js';
import { PopularityModel } from '../../src/recommend/models/popularity/popularity.js';
import type { ModelName } from '../../src/recommend/models/model-kinds.js';
import type { Recommender } from '../../src/recommend/models/recommender.js';
import { ModelRegistry } from '../../src/recommend/registry/registry.js';
import type { RecommendResponse, SimilarResponse } from '../../src/recommend/serving/contract.js';
import { trainIntoRegistry } from '../../src/recommend/train/train-registry.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { waitFor } from '../helpers/sse-client.js';
import type { TestServer } from '../helpers/test-server.js';
import { SMALL_TRAIN, trainAllIntoDataDir, userWithRatings, hammer, historyOf } from '../recommend/serving/fixtures.js';
import { serveSynthDataset } from '../recommend/serving/served-dataset.js';

type Get = TestServer['get'];
const ids = (r: { body: unknown }) => (r.body as RecommendResponse).recommendations.map((x) => x.movie_id);

describe('recommendations API with every model trained', () => {
  let close: () => Promise<void>;
  let log: EventLog;
  let server: StreamrecServer;
  let base: string;
  let get: Get;
  let dataDir: string;
  let dataset: Dataset;
  let versions: Record<ModelName, string>;
  /** Each model loaded on its own from the registry: what the server must agree with. */
  const local = new Map<ModelName, Recommender>();
  let user: number;

  before(async () => {
    const trainAll = async (dir: string, data: Dataset) => {
      const trained = await trainAllIntoDataDir(dir, data);
      const registry = new ModelRegistry(dir);
      for (const name of ['hybrid', 'als', 'itemcf', 'content', 'ease', 'ials', 'rp3beta'] as const) local.set(name, await loadRegisteredModel(registry, name, trained[name]));
      return trained;
    };
    ({ log, server, base, get, dataDir, dataset, trained: versions, close } = await serveSynthDataset(
      { recommend: { pollEveryMs: 0, adminToken: 'token' } },
      trainAll,
      (ratingsLog) => ratingsLog.ensureTopic(RATINGS_TOPIC, { partitions: RATINGS_PARTITIONS }),
    ));
    user = userWithRatings(dataset);
  });
  after(() => close());

  it('answers /recommendations/similar/1 with similarities in [0, 1] from every servable model, as each loaded on its own', async () => {
    for (const model of [undefined, 'hybrid', 'als', 'itemcf', 'content', 'ease', 'ials', 'rp3beta'] as const) {
      const r = await get(`/recommendations/similar/1?n=20${model === undefined ? '' : `&model=${model}`}`);
      assert.equal(r.status, 200, `${model ?? 'default'}: ${JSON.stringify(r.body)}`);
      const body = r.body as unknown as SimilarResponse;
      const items = body.similar_movies;
      assert.ok(items.length > 0, `${model ?? 'default'} lists similar movies`);
      for (const m of items) assert.ok(m.similarity >= 0 && m.similarity <= 1, `${model ?? 'default'}: ${m.movie_id} similarity ${m.similarity}`);
      const local_ = local.get(model ?? 'hybrid')!.similar(1, 20);
      assert.deepEqual(items.map((m) => m.movie_id), local_.map((s) => s.movieId));
      items.forEach((m, i) => assert.ok(Math.abs(m.similarity - local_[i].score) < 1e-4));
    }
  });

  it('serves the hybrid by default, as the hybrid loaded on its own answers', async () => {
    const hybrid = local.get('hybrid')!;
    const history = historyOf(dataset, user);
    const r = await get(`/recommendations/recommend/${user}?n=10&use_cache=false`);
    assert.equal(r.status, 200);
    const body = r.body as unknown as RecommendResponse;
    assert.equal(body.source, 'model');
    assert.equal(body.model_version, versions.hybrid);
    assert.deepEqual(ids(r), hybrid.recommend(history, 10).map((s) => s.movieId));
    const rated = new Set(history.movies);
    for (const item of body.recommendations) {
      assert.ok(!rated.has(item.movie_id), `${item.movie_id} was rated already`);
      assert.ok(Math.abs(item.predicted_rating - hybrid.predict(history, item.movie_id)) < 1e-3);
    }
    const health = (await get('/recommendations/health')).body as { default_model: string; model_version: string; models: Record<string, string> };
    assert.equal(health.default_model, 'hybrid');
    assert.equal(health.model_version, versions.hybrid);
    assert.deepEqual(health.models, versions);
    assert.deepEqual((await get('/recommendations/')).body.models_available, ['hybrid', 'ease', 'ials', 'rp3beta', 'itemcf', 'als', 'content']);

    const stranger = await get('/recommendations/recommend/999999?n=5');
    assert.equal(stranger.body.source, 'fallback_popular');
    assert.equal(stranger.body.model_version, versions.hybrid);

    const movie = dataset.catalogue.all().find((m) => !rated.has(m.movieId))!.movieId;
    const predicted = await fetch(`${base}/recommendations/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: user, movie_id: movie }) });
    const p = (await predicted.json()) as { predicted_rating: number; model_version: string };
    assert.equal(p.model_version, versions.hybrid);
    assert.ok(Math.abs(p.predicted_rating - hybrid.predict(history, movie)) < 1e-3);
    const similar = (await get(`/recommendations/similar/${movie}?n=5`)).body as unknown as SimilarResponse;
    assert.equal(similar.model_version, versions.hybrid);
    assert.deepEqual(similar.similar_movies.map((m) => m.movie_id), hybrid.similar(movie, 5).map((s) => s.movieId));
  });

  it('serves each model by name', async () => {
    const history = historyOf(dataset, user);
    for (const name of ['hybrid', 'als', 'itemcf', 'content', 'ease', 'ials', 'rp3beta'] as const) {
      const r = await get(`/recommendations/recommend/${user}?n=8&model=${name}&use_cache=false`);
      assert.equal(r.status, 200, name);
      assert.equal(r.body.model_version, versions[name], name);
      assert.equal(r.body.source, 'model', name);
      assert.deepEqual(ids(r), local.get(name)!.recommend(history, 8).map((s) => s.movieId), name);
    }
  });

  it('lets streamed ratings reach the hybrid\'s popularity component', async () => {
    const hybrid = server.recommend!.modelSet!.models.get('hybrid') as HybridModel;
    const popularity = hybrid.components.get('popularity');
    assert.ok(popularity instanceof PopularityModel);
    const target = dataset.catalogue.all().map((m) => m.movieId).find((m) => m !== popularity.top(1)[0]!.movieId)!;
    const now = Date.now();
    await log.producer().send(RATINGS_TOPIC, Array.from({ length: 2000 }, (_, i) => ({ key: null, value: ratingCodec.encode({ userId: 700_000 + i, movieId: target, rating: 5, timestamp: now }), timestamp: now })));
    await waitFor(() => server.recommend!.health().online.ratings_applied >= 2000, 10_000, 'ratings applied');
    assert.equal(popularity.top(1)[0]!.movieId, target);
  });

  it('swaps in a new hybrid under load with no failed request, keeping the loaded components', async () => {
    const before = server.recommend!.modelSet!;
    // A new hybrid (another fitting seed) over the same component versions; the server is told by a reload.
    const trained = await trainIntoRegistry({ dataset, models: ['hybrid'], params: { ...SMALL_TRAIN, hybrid: { ...SMALL_TRAIN.hybrid, seed: 8 } }, registry: new ModelRegistry(dataDir), hooks: { threads: 1 } });
    const next = trained[0]!.metadata.version;
    assert.notEqual(next, versions.hybrid);

    const load = hammer(base, 4);
    let seen: Awaited<ReturnType<typeof load.stop>>;
    try {
      await waitFor(() => load.requests() >= 50, 10_000, 'load running');
      const reload = await fetch(`${base}/recommendations/reload`, { method: 'POST', headers: { authorization: 'Bearer token' } });
      const result = (await reload.json()) as { swapped: boolean; versions: Record<string, string> };
      assert.equal(reload.status, 200);
      assert.equal(result.swapped, true);
      assert.equal(result.versions.hybrid, next);
      const after = load.requests();
      await waitFor(() => load.requests() >= after + 50, 10_000, 'load after the swap');
    } finally {
      seen = await load.stop();
    }
    assert.deepEqual([...seen.statuses.keys()], [200], `every response a 200: ${JSON.stringify([...seen.statuses])}`);
    assert.deepEqual([...seen.versions].sort(), [versions.hybrid, next].sort(), 'answers from the old hybrid, then the new');
    const set = server.recommend!.modelSet!;
    const hybrid = set.models.get('hybrid') as HybridModel;
    for (const name of ['als', 'itemcf', 'content'] as const) {
      assert.equal(set.models.get(name), before.models.get(name), `${name} not loaded again`);
      assert.equal(hybrid.components.get(name), set.models.get(name), `the new hybrid blends the served ${name}`);
    }
    assert.equal(hybrid.components.get('popularity'), set.popularity);
  });
});
