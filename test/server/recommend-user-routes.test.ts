// The Recommendations page's routes on a real server: a user's view (the same lists /recommend
// serves, with reasons), and the user's live stream — their ratings posted to the public events
// route come back as a `ratings` event once applied, others' do not, a new model version is a
// `models` event, and the streams count against the server's SSE connection limit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Dataset } from '../../src/recommend/data/dataset.js';
import { ModelRegistry } from '../../src/recommend/registry/registry.js';
import type { RecommendResponse, UserStreamEvents, UserViewResponse } from '../../src/recommend/serving/contract.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { sseConnect, waitFor } from '../helpers/sse-client.js';
import { commitModel, fitAls, SMALL_ALS, stageModel, trainAllIntoDataDir, userWithRatings } from '../recommend/serving/fixtures.js';
import { serveSynthDataset } from '../recommend/serving/served-dataset.js';

describe('recommendation routes of one user', () => {
  let server: StreamrecServer;
  let base: string;
  let dataDir: string;
  let dataset: Dataset;
  let close: () => Promise<void>;

  const post = (userId: number, movieId: number, rating: number) =>
    fetch(`${base}/events/ratings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, movieId, rating, timestamp: Date.now() }) });

  before(async () => {
    ({ server, base, dataDir, dataset, close } = await serveSynthDataset({ sseMaxClients: 3, heartbeatMs: 1000, recommend: { pollEveryMs: 100 } }));
  });
  after(() => close());

  it('answers 503 before a model is trained, and 400 for a bad user id', async () => {
    assert.equal((await fetch(`${base}/recommendations/users/1`)).status, 503);
    const bad = await fetch(`${base}/recommendations/users/0`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /user_id/);
    await trainAllIntoDataDir(dataDir, dataset);
    await waitFor(() => server.recommend!.modelSet?.models.has('hybrid') === true, 30_000, 'the models loaded');
  });

  it('gives every served model\'s list as /recommend serves it, with the rated movies that explain each item', async () => {
    const user = userWithRatings(dataset);
    const res = await fetch(`${base}/recommendations/users/${user}?n=10`);
    assert.equal(res.status, 200);
    const view = (await res.json()) as UserViewResponse;
    assert.equal(view.user_id, user);
    assert.equal(view.in_training_data, true);
    assert.equal(view.ratings.count, server.recommend!.historyOf(user)!.movies.length);
    assert.equal(view.ratings.recent.length, Math.min(20, view.ratings.count));
    assert.deepEqual(view.models.map((m) => m.model).sort(), ['als', 'content', 'ease', 'hybrid', 'ials', 'itemcf', 'rp3beta']);
    assert.equal(view.models.filter((m) => m.default).length, 1);
    const rated = new Map(Array.from(server.recommend!.historyOf(user)!.movies, (m, i) => [m, server.recommend!.historyOf(user)!.ratings[i]!]));
    let explained = 0;
    for (const m of view.models) {
      const served = (await (await fetch(`${base}/recommendations/recommend/${user}?n=10&model=${m.model}&use_cache=false`)).json()) as RecommendResponse;
      assert.deepEqual(m.recommendations.map((r) => r.movie_id), served.recommendations.map((r) => r.movie_id), `${m.model}: the same list`);
      assert.equal(m.version, served.model_version);
      for (const item of m.recommendations) {
        for (const b of item.because) {
          assert.equal(b.rating, rated.get(b.movie_id), `${m.model}: a reason is a movie the user rated, with their rating`);
          assert.ok(b.similarity > 0 && b.similarity <= 1);
        }
        explained += item.because.length > 0 ? 1 : 0;
      }
    }
    assert.ok(explained > 0, 'some recommendations are explained');
  });

  it('streams a user\'s applied ratings and new model versions to their stream only', async () => {
    const user = 800_123;
    const other = sseConnect(`${base}/recommendations/users/800124/stream`);
    const stream = sseConnect(`${base}/recommendations/users/${user}/stream`);
    try {
      await waitFor(() => stream.events.length > 0 && other.events.length > 0, 10_000, 'hello');
      assert.equal(stream.events[0]!.event, 'hello');
      const hello = JSON.parse(stream.events[0]!.data) as UserStreamEvents['hello'];
      assert.deepEqual([hello.user_id, hello.ratings], [user, 0]);
      assert.equal(hello.model_versions.hybrid, server.recommend!.modelSet!.versions.hybrid);

      const movie = dataset.catalogue.all()[5]!.movieId;
      assert.equal((await post(user, movie, 4.5)).status, 202);
      await waitFor(() => stream.events.some((e) => e.event === 'ratings'), 10_000, 'the ratings event');
      const event = JSON.parse(stream.events.find((e) => e.event === 'ratings')!.data) as UserStreamEvents['ratings'];
      assert.deepEqual([event.user_id, event.ratings.map((r) => [r.movie_id, r.rating])], [user, [[movie, 4.5]]]);
      // Applied before it was announced: the view fetched now holds it.
      const view = (await (await fetch(`${base}/recommendations/users/${user}`)).json()) as UserViewResponse;
      assert.deepEqual(view.ratings.recent.map((r) => [r.movie_id, r.rating, r.streamed]), [[movie, 4.5, true]]);
      assert.ok(view.models.every((m) => m.source === 'model'), 'one rating gives a new user a personal list from every model');
      assert.ok(!other.events.some((e) => e.event === 'ratings'), 'another user\'s stream hears nothing of it');

      const registry = new ModelRegistry(dataDir);
      const next = commitModel(registry, stageModel(registry, await fitAls(dataset, { ...SMALL_ALS, seed: 7 })), dataset, { ...SMALL_ALS, seed: 7 }).version;
      await waitFor(() => stream.events.some((e) => e.event === 'models') && other.events.some((e) => e.event === 'models'), 10_000, 'the models event on both streams');
      const models = JSON.parse(stream.events.find((e) => e.event === 'models')!.data) as UserStreamEvents['models'];
      assert.equal(models.model_versions.als, next);
    } finally {
      stream.close();
      other.close();
    }
  });

  it('counts the user streams against the server\'s SSE connection limit', async () => {
    await waitFor(() => server.sseClients.size === 0, 10_000, 'the earlier streams released');
    const held = [1, 2, 3].map((u) => sseConnect(`${base}/recommendations/users/${u}/stream`));
    try {
      await waitFor(() => held.every((s) => s.events.length > 0), 10_000, 'three streams open');
      const refused = await fetch(`${base}/recommendations/users/4/stream`, { headers: { accept: 'text/event-stream' } });
      assert.equal(refused.status, 503);
      assert.match(((await refused.json()) as { message: string }).message, /too many live event streams/);
    } finally {
      for (const s of held) s.close();
    }
    await waitFor(() => server.sseClients.size === 0, 10_000, 'the streams released');
  });
});
