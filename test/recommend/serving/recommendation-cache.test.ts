import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecommendationCache, cacheOptionsFromEnv, DEFAULT_CACHE_SIZE, DEFAULT_CACHE_TTL_MS } from '../../../src/recommend/serving/recommendation-cache.js';

const key = (userId: number, n = 10, extra: Partial<Parameters<typeof RecommendationCache.key>[0]> = {}) =>
  RecommendationCache.key({ model: 'als', version: 'v1', userId, n, genre: undefined, exclude: [], ...extra });

describe('recommendation cache', () => {
  it('defaults to 1,000 entries for 1 hour', () => {
    const cache = new RecommendationCache<string>();
    assert.equal(cache.max, DEFAULT_CACHE_SIZE);
    assert.equal(cache.max, 1000);
    assert.equal(cache.ttlMs, DEFAULT_CACHE_TTL_MS);
    assert.equal(cache.ttlMs, 3_600_000);
  });

  it('counts misses and hits', () => {
    const cache = new RecommendationCache<string>();
    assert.equal(cache.get(key(1)), undefined);
    cache.set(key(1), 1, 'a');
    assert.equal(cache.get(key(1)), 'a');
    assert.equal(cache.get(key(1)), 'a');
    assert.equal(cache.get(key(2)), undefined);
    assert.deepEqual({ hits: cache.hits, misses: cache.misses }, { hits: 2, misses: 2 });
    assert.equal(cache.stats().size, 1);
  });

  it('keys on everything that shapes an answer', () => {
    const keys = new Set([
      key(1), key(1, 20), key(2), key(1, 10, { model: 'itemcf' }), key(1, 10, { version: 'v2' }),
      key(1, 10, { genre: 'Drama' }), key(1, 10, { exclude: [3, 4] }), key(1, 10, { exclude: [3] }),
    ]);
    assert.equal(keys.size, 8);
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new RecommendationCache<string>({ max: 3 });
    for (const u of [1, 2, 3]) cache.set(key(u), u, `u${u}`);
    cache.get(key(1)); // 2 is now the least recently used
    cache.set(key(4), 4, 'u4');
    assert.equal(cache.get(key(2)), undefined);
    assert.equal(cache.get(key(1)), 'u1');
    assert.equal(cache.get(key(4)), 'u4');
    assert.equal(cache.stats().size, 3);
    assert.equal(cache.invalidateUser(2), 0, 'the evicted entry left the user index too');
  });

  it('expires entries after the TTL', () => {
    let now = 1000;
    const cache = new RecommendationCache<string>({ ttlMs: 500, now: () => now });
    cache.set(key(1), 1, 'a');
    now += 499;
    assert.equal(cache.get(key(1)), 'a');
    now += 2;
    assert.equal(cache.get(key(1)), undefined, 'expired after 500 ms');
    assert.equal(cache.stats().size, 0);
  });

  it('drops exactly a user\'s entries when they rate something', () => {
    const cache = new RecommendationCache<string>();
    cache.set(key(1), 1, 'a');
    cache.set(key(1, 20), 1, 'b');
    cache.set(key(1, 10, { genre: 'Drama' }), 1, 'c');
    cache.set(key(2), 2, 'd');
    assert.equal(cache.invalidateUser(1), 3);
    assert.equal(cache.get(key(1)), undefined);
    assert.equal(cache.get(key(1, 20)), undefined);
    assert.equal(cache.get(key(2)), 'd');
    assert.equal(cache.invalidateUser(1), 0);
  });

  it('clears everything (a model swap) but keeps its counts', () => {
    const cache = new RecommendationCache<string>();
    cache.set(key(1), 1, 'a');
    cache.get(key(1));
    cache.clear();
    assert.equal(cache.get(key(1)), undefined);
    assert.equal(cache.stats().size, 0);
    assert.deepEqual({ hits: cache.hits, misses: cache.misses }, { hits: 1, misses: 1 });
  });

  it('size 0 disables caching', () => {
    const cache = new RecommendationCache<string>({ max: 0 });
    cache.set(key(1), 1, 'a');
    assert.equal(cache.get(key(1)), undefined);
  });

  it('reads its size and TTL from the environment, naming a bad value', () => {
    assert.deepEqual(cacheOptionsFromEnv({}), {});
    assert.deepEqual(cacheOptionsFromEnv({ STREAMREC_CACHE_SIZE: '50', STREAMREC_CACHE_TTL: '30m' }), { max: 50, ttlMs: 1_800_000 });
    assert.deepEqual(cacheOptionsFromEnv({ STREAMREC_CACHE_TTL: '90' }), { ttlMs: 90_000 }, 'a bare number is seconds');
    assert.throws(() => cacheOptionsFromEnv({ STREAMREC_CACHE_SIZE: 'lots' }), /STREAMREC_CACHE_SIZE must be a whole number.*"lots"/);
    assert.throws(() => cacheOptionsFromEnv({ STREAMREC_CACHE_TTL: 'soon' }), /STREAMREC_CACHE_TTL must be a duration.*"soon"/);
    assert.throws(() => cacheOptionsFromEnv({ STREAMREC_CACHE_TTL: '0s' }), /STREAMREC_CACHE_TTL/);
  });
});
