// Ratings arriving on the log change a user's recommendations at the next request, for every
// served model: the service drops the user's cached answers and each model scores the fresh
// history (ALS folds it in; the neighbourhood, content and hybrid models read it). Checked
// against each model asked directly with the same history, for a brand-new user who rates three
// movies and for a known user who rates one more.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog } from '../../../src/log/types.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec, type Rating } from '../../../src/movies/rating-event.js';
import type { Dataset } from '../../../src/recommend/data/dataset.js';
import { SERVING_MODELS, type ServingModelName } from '../../../src/recommend/models/model-kinds.js';
import { RecommendationService, type ServiceUpdate } from '../../../src/recommend/serving/recommendation-service.js';
import { waitFor } from '../../helpers/sse-client.js';
import { tempDir } from '../../helpers/tmp.js';
import { storeSynthDataset, trainAllIntoDataDir, userWithRatings } from './fixtures.js';

describe('online updates reach every model', () => {
  let log: EventLog;
  let service: RecommendationService;
  let dataset: Dataset;
  let cleanup: () => void;
  const updates: ServiceUpdate[] = [];

  const send = (ratings: Rating[]) => log.producer().send(RATINGS_TOPIC, ratings.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r), timestamp: r.timestamp })));
  const served = (): ServingModelName[] => SERVING_MODELS.filter((m) => service.modelSet!.models.has(m));
  const ids = (userId: number, model: ServingModelName) => service.recommend(userId, { n: 10, model }).items.map((i) => i.movie_id);

  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    dataset = await storeSynthDataset(t.dir);
    await trainAllIntoDataDir(t.dir, dataset);
    log = openEmbeddedLog({ dataDir: t.dir });
    await log.ensureTopic(RATINGS_TOPIC, { partitions: RATINGS_PARTITIONS });
    service = new RecommendationService({ dataDir: t.dir, log, pollEveryMs: 0 });
    service.onUpdate((u) => updates.push(u));
    await service.start();
    await waitFor(() => service.health().online.following, 30_000, 'the ratings follower');
  });
  after(async () => {
    await service.close();
    await log.close();
    cleanup();
  });

  it('serves every model trained', () => {
    assert.deepEqual(served().sort(), ['als', 'content', 'ease', 'hybrid', 'ials', 'itemcf', 'rp3beta']);
  });

  it('gives a new user who rates three movies a personal list from every model at the next request', async () => {
    const user = 900_001;
    const before = new Map(served().map((m) => [m, service.recommend(user, { n: 10, model: m })]));
    for (const [model, answer] of before) assert.equal(answer.source, 'fallback_popular', `${model}: an unknown user gets popular movies`);
    // Cached: the next answer would come from the cache unless the ratings drop it.
    for (const model of served()) assert.equal(service.recommend(user, { n: 10, model }).source, 'cache');

    const movies = dataset.catalogue.all().slice(0, 3).map((m) => m.movieId);
    const now = Date.now();
    await send(movies.map((movieId, i) => ({ userId: user, movieId, rating: 5 - i, timestamp: now + i })));
    await waitFor(() => (service.historyOf(user)?.movies.length ?? 0) === 3, 30_000, 'the three ratings applied');

    const history = service.historyOf(user)!;
    assert.equal(history.fresh, true);
    for (const model of served()) {
      const answer = service.recommend(user, { n: 10, model });
      assert.equal(answer.source, 'model', `${model}: a personal list, not the cache or the fallback`);
      const expected = service.modelSet!.models.get(model)!.recommend(history, 10).map((s) => s.movieId);
      assert.deepEqual(answer.items.map((i) => i.movie_id), expected, `${model}: the model's own answer for the fresh history`);
      assert.ok(expected.every((m) => !movies.includes(m)), `${model}: the rated movies are not recommended`);
    }
    const mine = updates.filter((u) => u.type === 'ratings' && u.userId === user);
    assert.deepEqual(mine.flatMap((u) => (u.type === 'ratings' ? u.ratings.map((r) => r.movieId) : [])), movies, 'the listeners heard the three ratings');
  });

  it('changes a known user\'s list from every model when they rate one more movie', async () => {
    const user = userWithRatings(dataset);
    const first = new Map(served().map((m) => [m, ids(user, m)]));
    for (const model of served()) assert.equal(service.recommend(user, { n: 10, model }).source, 'cache');
    // Their top movie by each model, rated once: each model's list must drop it at once.
    const rated = first.get('itemcf')![0]!;
    await send([{ userId: user, movieId: rated, rating: 1, timestamp: Date.now() }]);
    await waitFor(() => Array.from(service.historyOf(user)!.movies).includes(rated), 30_000, 'the rating applied');
    const history = service.historyOf(user)!;
    for (const model of served()) {
      const answer = service.recommend(user, { n: 10, model });
      assert.equal(answer.source, 'model', model);
      assert.ok(!answer.items.some((i) => i.movie_id === rated), `${model}: the movie just rated is gone`);
      assert.deepEqual(answer.items.map((i) => i.movie_id), service.modelSet!.models.get(model)!.recommend(history, 10).map((s) => s.movieId), model);
    }
  });

  it('counts the streamed ratings each model has not seen, and their age', () => {
    const health = service.health();
    const versions = service.modelSet!.versions;
    assert.deepEqual(Object.keys(health.freshness).sort(), Object.keys(versions).sort());
    for (const [model, f] of Object.entries(health.freshness)) {
      assert.equal(f.version, versions[model as ServingModelName]);
      assert.equal(f.ratings_not_seen, 4, `${model}: the 3 + 1 streamed ratings`);
      assert.ok(f.age_seconds >= 0 && f.age_seconds < 3600, `${model}: age ${f.age_seconds}`);
      assert.equal(f.dataset, 'synth');
    }
    assert.equal(service.unseenRatings(), 4);
  });
});
