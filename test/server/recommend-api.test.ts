import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Dataset } from '../../src/recommend/data/dataset.js';
import type { AlsModel } from '../../src/recommend/models/als/als.js';
import { arrayOf, readArrayFile } from '../../src/recommend/models/array-file.js';
import { ModelRegistry } from '../../src/recommend/registry/registry.js';
import type { RecommendResponse, SimilarResponse } from '../../src/recommend/serving/contract.js';
import { startServerInTempDir, type TestServer } from '../helpers/test-server.js';
import { trainIntoDataDir, userWithRatings, historyOf } from '../recommend/serving/fixtures.js';
import { serveSynthDataset } from '../recommend/serving/served-dataset.js';

type Get = TestServer['get'];
type Body = Record<string, unknown> & { message?: string };

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Body };
}

/** Bayesian averages by brute force: (C·m + Σr) / (C + n), C = the median count of rated movies, m = the mean rating. */
/** Every rated movie most rated first (ties by id), with its Bayesian average rating as `rating`. */
function popularityRanking(dataset: Dataset): { movieId: number; count: number; rating: number }[] {
  const { movies, ratings } = dataset.ratings.columns;
  const count = new Map<number, number>();
  const sum = new Map<number, number>();
  let total = 0;
  for (let i = 0; i < movies.length; i++) {
    count.set(movies[i]!, (count.get(movies[i]!) ?? 0) + 1);
    sum.set(movies[i]!, (sum.get(movies[i]!) ?? 0) + ratings[i]!);
    total += ratings[i]!;
  }
  const counts = [...count.values()].sort((a, b) => a - b);
  const mid = counts.length >> 1;
  const c = counts.length % 2 ? counts[mid]! : (counts[mid - 1]! + counts[mid]!) / 2;
  const mean = total / movies.length;
  return [...count.keys()]
    .map((id) => ({ movieId: id, count: count.get(id)!, rating: (c * mean + sum.get(id)!) / (c + count.get(id)!) }))
    .sort((a, b) => b.count - a.count || a.movieId - b.movieId);
}

const ids = (r: { body: Body }) => (r.body as unknown as RecommendResponse).recommendations.map((x) => x.movie_id);

describe('recommendations API', () => {
  let close: () => Promise<void>;
  let base: string;
  let get: Get;
  let dataDir: string;
  let dataset: Dataset;
  let als: AlsModel;
  let versions: { als: string; popularity: string };
  let user: number;

  before(async () => {
    ({ base, get, dataDir, dataset, trained: { als, versions }, close } = await serveSynthDataset({ recommend: { pollEveryMs: 0, adminToken: 'open-sesame' } }, trainIntoDataDir));
    // A user with a fair number of ratings, far from all 150 movies.
    user = userWithRatings(dataset);
  });
  after(() => close());

  it('recommends a known user the model\'s best movies they have not rated', async () => {
    const r = await get(`/recommendations/recommend/${user}?n=10&use_cache=false`);
    assert.equal(r.status, 200);
    const body = r.body as unknown as RecommendResponse;
    assert.equal(body.user_id, user);
    assert.equal(body.source, 'model');
    assert.equal(body.model_version, versions.als);
    assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
    assert.deepEqual(body.recommendations.map((x) => x.rank), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const history = historyOf(dataset, user);
    const seen = new Set(history.movies);
    for (const item of body.recommendations) {
      assert.ok(!seen.has(item.movie_id), `movie ${item.movie_id} was rated by the user already`);
      const movie = dataset.catalogue.get(item.movie_id)!;
      assert.equal(item.title, movie.title);
      assert.deepEqual(item.genres, movie.genres);
      assert.ok(Math.abs(item.predicted_rating - als.predict(history, item.movie_id)) < 1e-3);
    }
    const predicted = body.recommendations.map((x) => x.predicted_rating);
    assert.deepEqual(predicted, [...predicted].sort((a, b) => b - a), 'best first');
    // Brute force: no unseen movie the model predicts higher than the last one listed.
    const listed = new Set(ids(r));
    const last = predicted[predicted.length - 1]!;
    for (const movie of dataset.catalogue.all()) {
      if (seen.has(movie.movieId) || listed.has(movie.movieId) || !als.knowsMovie(movie.movieId)) continue;
      assert.ok(als.predict(history, movie.movieId) <= last + 1e-3, `movie ${movie.movieId} beats the 10th`);
    }
  });

  it('answers a repeat from the cache, and counts hits and misses', async () => {
    const before = (await get('/recommendations/health')).body.cache_stats as { hits: number; misses: number; size: number };
    const first = await get(`/recommendations/recommend/${user}?n=7`);
    const second = await get(`/recommendations/recommend/${user}?n=7`);
    assert.equal(first.body.source, 'model');
    assert.equal(second.body.source, 'cache');
    assert.deepEqual(second.body.recommendations, first.body.recommendations);
    assert.equal(second.body.model_version, first.body.model_version);
    assert.equal((await get(`/recommendations/recommend/${user}?n=7&use_cache=false`)).body.source, 'model', 'use_cache=false computes');
    assert.equal((await get(`/recommendations/recommend/${user}?n=8`)).body.source, 'model', 'another n is another entry');
    const after = (await get('/recommendations/health')).body.cache_stats as { hits: number; misses: number; size: number };
    assert.equal(after.hits - before.hits, 1);
    assert.equal(after.misses - before.misses, 2);
    assert.equal(after.size - before.size, 2);
  });

  it('falls back to the most rated movies (their Bayesian average as the rating) for a user nobody knows, by genre when asked', async () => {
    const ranking = popularityRanking(dataset);
    const r = await get('/recommendations/recommend/999999?n=10');
    assert.equal(r.status, 200);
    assert.equal(r.body.source, 'fallback_popular');
    assert.equal(r.body.model_version, versions.als);
    assert.deepEqual(ids(r), ranking.slice(0, 10).map((x) => x.movieId));
    const scores = (r.body as unknown as RecommendResponse).recommendations.map((x) => x.predicted_rating);
    scores.forEach((s, i) => assert.ok(Math.abs(s - ranking[i]!.rating) < 1e-3));

    const genre = dataset.catalogue.get(ranking[0]!.movieId)!.genres[0]!;
    const inGenre = ranking.filter((x) => dataset.catalogue.get(x.movieId)!.genres.includes(genre)).slice(0, 5).map((x) => x.movieId);
    const byGenre = await get(`/recommendations/recommend/999999?n=5&genre=${encodeURIComponent(genre.toLowerCase())}`);
    assert.equal(byGenre.status, 200);
    assert.equal(byGenre.body.source, 'fallback_popular');
    assert.deepEqual(ids(byGenre), inGenre, 'case-insensitive genre');
  });

  it('filters a known user\'s recommendations by genre and leaves out the excluded movies', async () => {
    const all = ids(await get(`/recommendations/recommend/${user}?n=12&use_cache=false`));
    const without = await get(`/recommendations/recommend/${user}?n=10&use_cache=false&exclude=${all[0]},${all[2]}`);
    assert.equal(without.status, 200);
    assert.deepEqual(ids(without), all.filter((id) => id !== all[0] && id !== all[2]).slice(0, 10));

    const genre = dataset.catalogue.get(all[0]!)!.genres[0]!;
    const byGenre = await get(`/recommendations/recommend/${user}?n=5&use_cache=false&genre=${encodeURIComponent(genre)}`);
    assert.equal(byGenre.status, 200);
    assert.equal(byGenre.body.source, 'model');
    for (const item of (byGenre.body as unknown as RecommendResponse).recommendations) assert.ok(item.genres.includes(genre), `${item.movie_id} is ${genre}`);
    assert.equal(ids(byGenre)[0], all[0], 'the best movie of the genre leads');
  });

  it('predicts a rating with the movie\'s title and genres', async () => {
    const history = historyOf(dataset, user);
    const movie = dataset.catalogue.all().find((m) => !history.movies.includes(m.movieId) && als.knowsMovie(m.movieId))!;
    const r = await post(base, '/recommendations/predict', { user_id: user, movie_id: movie.movieId });
    assert.equal(r.status, 200);
    assert.equal(r.body.user_id, user);
    assert.equal(r.body.movie_id, movie.movieId);
    assert.equal(r.body.title, movie.title);
    assert.deepEqual(r.body.genres, movie.genres);
    assert.equal(r.body.model_version, versions.als);
    assert.ok(Math.abs((r.body.predicted_rating as number) - als.predict(history, movie.movieId)) < 1e-3);
    const stranger = await post(base, '/recommendations/predict', { user_id: 999999, movie_id: movie.movieId });
    assert.equal(stranger.status, 200, 'an unknown user gets the model\'s fallback, not an error');
    assert.ok(Math.abs((stranger.body.predicted_rating as number) - als.predict(historyOf(dataset, 999999), movie.movieId)) < 1e-3);
  });

  it('lists similar movies by the cosine of their ALS factors', async () => {
    const file = readArrayFile(join(new ModelRegistry(dataDir).dir('als', versions.als), 'als.bin'));
    const movieIds = arrayOf(file, 'movieIds', Int32Array, 'als.bin');
    const factors = arrayOf(file, 'movieFactors', Float32Array, 'als.bin');
    const k = factors.length / movieIds.length;
    const target = dataset.catalogue.all()[3]!.movieId;
    const t = movieIds.indexOf(target);
    const vec = (i: number) => factors.subarray(i * k, (i + 1) * k);
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const expected = [...movieIds]
      .map((id, i) => ({ id, sim: vec(t).reduce((s, x, c) => s + x * vec(i)[c]!, 0) / (norm(vec(t)) * norm(vec(i))) }))
      .filter((x) => x.id !== target)
      .sort((a, b) => b.sim - a.sim || a.id - b.id)
      .slice(0, 5);

    const r = await get(`/recommendations/similar/${target}?n=5`);
    assert.equal(r.status, 200);
    const body = r.body as unknown as SimilarResponse;
    assert.equal(body.movie_id, target);
    assert.equal(body.model_version, versions.als);
    assert.deepEqual(body.similar_movies.map((m) => m.movie_id), expected.map((x) => x.id));
    body.similar_movies.forEach((m, i) => {
      assert.equal(m.rank, i + 1);
      assert.ok(Math.abs(m.similarity - expected[i]!.sim) < 1e-3);
      assert.equal(m.title, dataset.catalogue.get(m.movie_id)!.title);
    });
    assert.equal(((await get(`/recommendations/similar/${target}`)).body.similar_movies as unknown[]).length, 10, 'default n 10');
  });

  it('answers bad input with a 400 naming the parameter, and an unknown movie with a 404', async () => {
    const cases: [string, RegExp][] = [
      [`/recommendations/recommend/${user}?n=0`, /querystring\/n must be >= 1/],
      [`/recommendations/recommend/${user}?n=101`, /querystring\/n must be <= 100/],
      [`/recommendations/recommend/${user}?n=ten`, /querystring\/n must be integer/],
      [`/recommendations/recommend/${user}?use_cache=maybe`, /querystring\/use_cache must be boolean/],
      [`/recommendations/recommend/${user}?model=svd`, /querystring\/model must be equal to one of the allowed values/],
      [`/recommendations/recommend/${user}?model=itemcf`, /querystring\/model: model "itemcf" is not loaded; loaded: als/],
      [`/recommendations/recommend/${user}?genre=Telenovela`, /querystring\/genre: unknown genre "Telenovela"; known: .*Drama/],
      [`/recommendations/recommend/${user}?exclude=12,twelve`, /querystring\/exclude must be a comma-separated list of movie ids, got "twelve"/],
      ['/recommendations/recommend/abc', /params\/user_id must be integer/],
      ['/recommendations/recommend/0', /params\/user_id must be >= 1/],
      ['/recommendations/similar/1?n=51', /querystring\/n must be <= 50/],
      ['/recommendations/similar/x', /params\/movie_id must be integer/],
    ];
    for (const [path, message] of cases) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      assert.match(r.body.message!, message, path);
    }
    const missing = await post(base, '/recommendations/predict', { user_id: user });
    assert.equal(missing.status, 400);
    assert.match(missing.body.message!, /body must have required property 'movie_id'/);
    const badUser = await post(base, '/recommendations/predict', { user_id: 'me', movie_id: 1 });
    assert.equal(badUser.status, 400);
    assert.match(badUser.body.message!, /body\/user_id must be integer/);

    const notLoaded = await post(base, '/recommendations/predict', { user_id: user, movie_id: 1, model: 'itemcf' });
    assert.equal(notLoaded.status, 400);
    assert.match(notLoaded.body.message!, /^body\/model: model "itemcf" is not loaded; loaded: als$/, 'the model is a body field');

    const unknownMovie = await post(base, '/recommendations/predict', { user_id: user, movie_id: 987654 });
    assert.equal(unknownMovie.status, 404);
    assert.match(unknownMovie.body.message!, /unknown movie 987654/);
    const unknownSimilar = await get('/recommendations/similar/987654');
    assert.equal(unknownSimilar.status, 404);
    assert.match(unknownSimilar.body.message!, /unknown movie 987654/);
  });

  it('reports health and service info', async () => {
    const health = (await get('/recommendations/health')).body;
    assert.equal(health.status, 'healthy');
    assert.equal(health.model_loaded, true);
    assert.equal(health.model_version, versions.als);
    assert.equal(health.default_model, 'als');
    assert.deepEqual(health.models, { als: versions.als, popularity: versions.popularity });
    const cache = health.cache_stats as Record<string, number>;
    assert.equal(cache.max_size, 1000);
    assert.equal(cache.ttl_hours, 1);
    for (const k of ['size', 'hits', 'misses']) assert.equal(typeof cache[k], 'number', k);

    const info = (await get('/recommendations/')).body;
    assert.deepEqual(info.models_available, ['als']);
    assert.equal(info.default_model, 'als');
    const userIds = [...new Set(dataset.ratings.columns.users)];
    assert.deepEqual(info.users, { min: Math.min(...userIds), max: Math.max(...userIds), count: userIds.length });
    assert.equal((info.dataset as { name: string }).name, 'synth');
    assert.deepEqual((await get('/recommendations')).body.models_available, ['als'], 'without the trailing slash too');
  });

  it('reloads on demand only with the admin token', async () => {
    const none = await post(base, '/recommendations/reload', {});
    assert.equal(none.status, 401);
    assert.match(none.body.message!, /Authorization: Bearer/);
    assert.equal((none.body as { detail?: string }).detail, none.body.message, "FastAPI's detail");
    assert.equal((await post(base, '/recommendations/reload', {}, { authorization: 'Bearer guess' })).status, 401);
    const ok = await post(base, '/recommendations/reload', {}, { authorization: 'Bearer open-sesame' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.loaded, true);
    assert.equal(ok.body.swapped, false, 'nothing new: the served set and its cache stay');
    assert.deepEqual(ok.body.versions, { als: versions.als, popularity: versions.popularity });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await get('/openapi.json')).body as { paths: Record<string, unknown> };
    for (const p of ['/recommendations/recommend/{user_id}', '/recommendations/predict', '/recommendations/similar/{movie_id}', '/recommendations/health', '/recommendations/', '/recommendations/reload']) {
      assert.ok(doc.paths[p], p);
    }
  });
});

describe('recommendations API without a model', () => {
  it('answers 503 saying how to train one, and reports no model in health', async () => {
    const { base, get, close } = await startServerInTempDir({ recommend: { pollEveryMs: 0 } });
    try {
      for (const r of [await get('/recommendations/recommend/1'), await get('/recommendations/similar/1'), await post(base, '/recommendations/predict', { user_id: 1, movie_id: 1 })]) {
        assert.equal(r.status, 503);
        assert.match(r.body.message!, /no recommendation model loaded: run `streamrec train --from-lake`/);
      }
      const health = (await get('/recommendations/health')).body;
      assert.equal(health.model_loaded, false);
      assert.equal(health.status, 'no_model');
      assert.equal(health.model_version, null);
      assert.deepEqual((await get('/recommendations/')).body.models_available, []);
      assert.equal((await post(base, '/recommendations/reload', {})).status, 503, 'nothing to load');
    } finally {
      await close();
    }
  });
});
