// The recommendation service while things change under it: a model trained while it runs, a new
// version swapped in under load, a broken version refused, and ratings arriving on the log.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec, type Rating } from '../../src/movies/rating-event.js';
import type { Dataset } from '../../src/recommend/data/dataset.js';
import type { AlsModel } from '../../src/recommend/models/als/als.js';
import { ModelRegistry } from '../../src/recommend/registry/registry.js';
import type { RecommendResponse } from '../../src/recommend/serving/contract.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { waitFor } from '../helpers/sse-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';
import { commitModel, fitAls, SMALL_ALS, stageModel, storeSynthDataset, trainIntoDataDir, hammer } from '../recommend/serving/fixtures.js';
import { serveSynthDataset } from '../recommend/serving/served-dataset.js';

type Get = TestServer['get'];
const body = (r: { body: unknown }) => r.body as RecommendResponse;
const ids = (r: { body: unknown }) => body(r).recommendations.map((x) => x.movie_id);

describe('hot reload', () => {
  let close: () => Promise<void>;
  let server: StreamrecServer;
  let base: string;
  let get: Get;
  let dataDir: string;
  let dataset: Dataset;

  before(async () => {
    ({ server, base, get, dataDir, dataset, close } = await serveSynthDataset({ recommend: { pollEveryMs: 100 } }));
  });
  after(() => close());

  it('answers 503 until a model is trained, then serves it without a restart', async () => {
    const r = await get('/recommendations/recommend/1');
    assert.equal(r.status, 503);
    assert.match(r.body.message!, /run `streamrec train --from-lake`/);
    const { versions } = await trainIntoDataDir(dataDir, dataset);
    await waitFor(() => server.recommend!.modelSet?.versions.als === versions.als, 10_000, 'the new model loaded');
    const ok = await get('/recommendations/recommend/1');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.model_version, versions.als);
  });

  it('swaps in a new version under load with no failed request, and drops the cached answers', async () => {
    const registry = new ModelRegistry(dataDir);
    const old = registry.latestVersion('als')!;
    const cached = await get('/recommendations/recommend/5?n=5');
    assert.equal((await get('/recommendations/recommend/5?n=5')).body.source, 'cache');
    // The next version is trained beforehand; committing it is what switches `latest`.
    const staged = stageModel(registry, await fitAls(dataset, { ...SMALL_ALS, seed: 99 }));

    const load = hammer(base, 6);
    let next = '';
    let seen: Awaited<ReturnType<typeof load.stop>>;
    try {
      await waitFor(() => load.requests() >= 100, 10_000, 'load running');
      next = commitModel(registry, staged, dataset, { ...SMALL_ALS, seed: 99 }).version;
      await waitFor(() => server.recommend!.modelSet?.versions.als === next, 10_000, 'the new version swapped in');
      const after = load.requests();
      await waitFor(() => load.requests() >= after + 100, 10_000, 'load after the swap');
    } finally {
      seen = await load.stop();
    }
    assert.deepEqual([...seen.statuses.keys()], [200], `every response a 200: ${JSON.stringify([...seen.statuses])}`);
    assert.deepEqual([...seen.versions].sort(), [old, next].sort(), 'answers from the old, then the new version');
    const fresh = await get('/recommendations/recommend/5?n=5');
    assert.equal(fresh.body.source, 'model', 'the swap emptied the cache');
    assert.equal(fresh.body.model_version, next);
    assert.notEqual(cached.body.model_version, fresh.body.model_version);
  });

  it('keeps serving the loaded version when a new one fails to load, and reports why', async () => {
    const registry = new ModelRegistry(dataDir);
    const serving = registry.latestVersion('als')!;
    const staged = stageModel(registry, await fitAls(dataset, { ...SMALL_ALS, seed: 7 }));
    // Damage the artefact before the commit: the registry records it as is, the model's own checksum refuses it.
    const file = join(staged.dir, 'als.bin');
    const bytes = readFileSync(file);
    bytes[bytes.length - 9] ^= 0xff;
    writeFileSync(file, bytes);
    const broken = commitModel(registry, staged, dataset).version;
    await waitFor(() => (server.recommend!.health().last_reload.error ?? '').includes('loading the models failed'), 10_000, 'the failed reload reported');
    const health = (await get('/recommendations/health')).body as { model_version: string; last_reload: { error: string } };
    assert.equal(health.model_version, serving);
    assert.match(health.last_reload.error, /als\.bin/);
    const r = await get('/recommendations/recommend/3?n=3');
    assert.equal(r.status, 200);
    assert.equal(r.body.model_version, serving);
    assert.notEqual(broken, serving);
    // A reload by hand says so too: 500, the version still served, and which model failed.
    const res = await fetch(`${base}/recommendations/reload`, { method: 'POST' });
    const reload = (await res.json()) as { swapped: boolean; model_version: string; failures: { model: string; version: string; serving: string }[] };
    assert.equal(res.status, 500);
    assert.equal(reload.swapped, false);
    assert.equal(reload.model_version, serving);
    assert.deepEqual(reload.failures.map((f) => [f.model, f.version, f.serving]), [['als', broken, serving]]);
  });
});

describe('online updates from the ratings topic', () => {
  let close: () => Promise<void>;
  let log: EventLog;
  let server: StreamrecServer;
  let get: Get;
  let dataset: Dataset;
  let als: AlsModel;

  const send = (ratings: Rating[]) => log.producer().send(RATINGS_TOPIC, ratings.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r), timestamp: r.timestamp })));

  before(async () => {
    ({ server, get, trained: { als }, close } = await serveSynthDataset({ recommend: { pollEveryMs: 0, cache: { ttlMs: 400 } } }, trainIntoDataDir, async (opened, stored) => {
      // Set here, before the server starts: `send` writes to `log`, and the ratings below are the dataset's.
      log = opened;
      dataset = stored;
      await log.ensureTopic(RATINGS_TOPIC, { partitions: RATINGS_PARTITIONS });
      // Ratings produced between the import and the server's first run: one newer than the
      // dataset's newest rating, one older (the training data holds those).
      const newest = dataset.ratings.columns.timestamps.reduce((a, b) => Math.max(a, b), -Infinity);
      await send([
        { userId: 777_001, movieId: dataset.catalogue.all()[0]!.movieId, rating: 5, timestamp: newest + 1000 },
        { userId: 777_002, movieId: dataset.catalogue.all()[1]!.movieId, rating: 5, timestamp: newest },
      ]);
    }));
  });
  after(() => close());

  it('reads the topic from its start, applying only the ratings newer than the dataset', async () => {
    await waitFor(() => server.recommend!.health().online.catching_up === false && server.recommend!.health().online.following, 5000, 'caught up');
    const health = (await get('/recommendations/health')).body as { online: { ratings_applied: number; ratings_already_in_dataset: number; consumer_lag: number } };
    assert.equal(health.online.ratings_applied, 1);
    assert.equal(health.online.ratings_already_in_dataset, 1);
    assert.equal(health.online.consumer_lag, 0);
    assert.equal(server.recommend!.historyOf(777_001)!.movies.length, 1, 'written before the server started, newer than the dataset: applied');
    assert.equal((await get('/recommendations/recommend/777001?n=5')).body.source, 'model');
    assert.equal(server.recommend!.historyOf(777_002)!.movies.length, 0, 'not newer than the dataset: left to the training data');
    assert.equal((await get('/recommendations/recommend/777002?n=5')).body.source, 'fallback_popular');
  });

  it('gives a new user personal recommendations once their ratings arrive, folding them in', async () => {
    const newUser = 500_000;
    const before = await get(`/recommendations/recommend/${newUser}?n=10`);
    assert.equal(before.body.source, 'fallback_popular');
    assert.equal((await get(`/recommendations/recommend/${newUser}?n=10`)).body.source, 'cache');

    // They love the movies of one known user's favourites and dislike that user's worst.
    const { users, movies, ratings } = dataset.ratings.columns;
    const model = 42;
    const theirs: [number, number][] = [];
    for (let i = 0; i < users.length; i++) if (users[i] === model) theirs.push([movies[i]!, ratings[i]!]);
    theirs.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    const picks = [...theirs.slice(0, 5).map(([m]) => [m, 5] as const), ...theirs.slice(-3).map(([m]) => [m, 1] as const)];
    const now = Date.now();
    await send(picks.map(([movieId, rating], i) => ({ userId: newUser, movieId, rating, timestamp: now + i })));

    await waitFor(() => (server.recommend!.historyOf(newUser)?.movies.length ?? 0) === picks.length, 5000, 'ratings applied');
    const after = await get(`/recommendations/recommend/${newUser}?n=10`);
    assert.equal(after.status, 200);
    assert.equal(after.body.source, 'model', 'their cached fallback was dropped and the model now knows them');
    assert.notDeepEqual(ids(after), ids(before));
    const rated = new Set(picks.map(([m]) => m));
    assert.ok(ids(after).every((m) => !rated.has(m)), 'what they rated is not recommended');
    // The answer is ALS folded in over their streamed ratings.
    const history = { userId: newUser, movies: Int32Array.from(picks, ([m]) => m), ratings: Float32Array.from(picks, ([, r]) => r), fresh: true };
    assert.deepEqual(ids(after), als.recommend(history, 10).map((s) => s.movieId));
    const health = (await get('/recommendations/health')).body as { online: { following: boolean; ratings_applied: number; users_with_new_ratings: number } };
    assert.equal(health.online.following, true);
    assert.equal(health.online.ratings_applied, picks.length + 1);
    assert.equal(health.online.users_with_new_ratings, 2);
  });

  it('refreshes a known user\'s recommendations when they rate something new', async () => {
    const user = 42;
    const first = await get(`/recommendations/recommend/${user}?n=5`);
    assert.equal(first.body.source, 'model');
    assert.equal((await get(`/recommendations/recommend/${user}?n=5`)).body.source, 'cache');
    const top = ids(first)[0]!;
    await send([{ userId: user, movieId: top, rating: 0.5, timestamp: Date.now() }]);
    await waitFor(() => Array.from(server.recommend!.historyOf(user)!.movies).includes(top), 5000, 'rating applied');
    const next = await get(`/recommendations/recommend/${user}?n=5`);
    assert.equal(next.body.source, 'model', 'the new rating dropped their cached answer');
    assert.ok(!ids(next).includes(top), 'the movie they just rated is no longer recommended');
  });

  it('lets popularity follow the stream', async () => {
    const stranger = 600_000;
    const before = ids(await get(`/recommendations/recommend/${stranger}?n=10&use_cache=false`));
    const target = dataset.catalogue.all().map((m) => m.movieId).find((m) => !before.includes(m))!;
    const now = Date.now();
    await send(Array.from({ length: 3000 }, (_, i) => ({ userId: 700_000 + i, movieId: target, rating: 5, timestamp: now })));
    await waitFor(() => server.recommend!.health().online.ratings_applied >= 3000, 10_000, 'ratings applied');
    const after = ids(await get(`/recommendations/recommend/${stranger}?n=10&use_cache=false`));
    assert.equal(after[0], target, '3,000 five-star ratings put the movie first');
  });

  it('forgets cached answers after the TTL', async () => {
    const user = 43;
    await get(`/recommendations/recommend/${user}?n=4`);
    assert.equal((await get(`/recommendations/recommend/${user}?n=4`)).body.source, 'cache');
    await sleep(500); // the TTL of this server is 400 ms
    assert.equal((await get(`/recommendations/recommend/${user}?n=4`)).body.source, 'model');
  });
});

describe('a restart', () => {
  it('keeps the ratings that arrived on the stream: a new user is still served personally', async () => {
    const t = tempDir();
    let log = openEmbeddedLog({ dataDir: t.dir });
    let server: StreamrecServer | undefined;
    try {
      const dataset = await storeSynthDataset(t.dir);
      const { als } = await trainIntoDataDir(t.dir, dataset);
      let get: Get;
      ({ server, get } = await startTestServer({ log, dataDir: t.dir, recommend: { pollEveryMs: 0 } }));
      const newUser = 800_000;
      const movies = dataset.catalogue.all().slice(10, 16).map((m) => m.movieId);
      const now = Date.now();
      const ratings = movies.map((movieId, i) => ({ userId: newUser, movieId, rating: i < 3 ? 5 : 1, timestamp: now + i }));
      await log.producer().send(RATINGS_TOPIC, ratings.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r), timestamp: r.timestamp })));
      await waitFor(() => server!.recommend!.historyOf(newUser)!.movies.length === movies.length, 5000, 'ratings applied');
      const before = await get(`/recommendations/recommend/${newUser}?n=10`);
      assert.equal(before.body.source, 'model');

      await server.close();
      server = undefined;
      await log.close();
      log = openEmbeddedLog({ dataDir: t.dir });
      ({ server, get } = await startTestServer({ log, dataDir: t.dir, recommend: { pollEveryMs: 0 } }));
      await waitFor(() => server!.recommend!.health().online.catching_up === false && server!.recommend!.health().online.following, 5000, 'caught up');
      assert.equal(server.recommend!.historyOf(newUser)!.movies.length, movies.length, 'the history survived the restart');
      const after = await get(`/recommendations/recommend/${newUser}?n=10`);
      assert.equal(after.body.source, 'model');
      assert.deepEqual(ids(after), ids(before));
      const history = { userId: newUser, movies: Int32Array.from(movies), ratings: Float32Array.from(ratings, (r) => r.rating), fresh: true };
      assert.deepEqual(ids(after), als.recommend(history, 10).map((s) => s.movieId), 'ALS folded in over the same ratings');
      assert.equal(server.recommend!.health().online.ratings_applied, movies.length, 'each rating applied once');
    } finally {
      await server?.close();
      await log.close();
      t.cleanup();
    }
  });
});
