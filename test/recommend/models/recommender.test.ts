import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryCache, type UserHistory } from '../../../src/recommend/models/recommender.js';

const history = (userId: number, movies: number[], ratings: number[]): UserHistory => ({ userId, movies: Int32Array.from(movies), ratings: Float32Array.from(ratings) });

describe('HistoryCache', () => {
  it('derives once per history and again whenever the history differs in any way', () => {
    const cache = new HistoryCache<string>(8);
    const derived: string[] = [];
    const derive = (h: UserHistory) => {
      const value = `${h.userId}:${Array.from(h.movies).join(',')}:${Array.from(h.ratings).join(',')}`;
      derived.push(value);
      return value;
    };
    const h = history(1, [10, 20, 30], [4, 3.5, 1]);
    assert.equal(cache.get(h, derive), '1:10,20,30:4,3.5,1');
    assert.equal(cache.get(h, derive), '1:10,20,30:4,3.5,1');
    assert.equal(cache.get(history(1, [10, 20, 30], [4, 3.5, 1]), derive), '1:10,20,30:4,3.5,1', 'the same history in a new object');
    assert.equal(derived.length, 1);
    // Changed in place (a rating by a hair, a movie), longer, shorter, reordered, another user.
    h.ratings[2] = 1.0001;
    assert.equal(cache.get(h, derive), '1:10,20,30:4,3.5,1.000100016593933');
    h.movies[0] = 11;
    assert.equal(cache.get(h, derive), '1:11,20,30:4,3.5,1.000100016593933');
    assert.equal(cache.get(history(1, [11, 20, 30, 40], [4, 3.5, 1, 2]), derive), '1:11,20,30,40:4,3.5,1,2');
    assert.equal(cache.get(history(1, [11, 20], [4, 3.5]), derive), '1:11,20:4,3.5');
    assert.equal(cache.get(history(1, [20, 11], [3.5, 4]), derive), '1:20,11:3.5,4');
    assert.equal(cache.get(history(2, [20, 11], [3.5, 4]), derive), '2:20,11:3.5,4');
    assert.equal(derived.length, 7);
    // Movies and ratings of different lengths (a caller's mistake) are told apart too.
    const ragged = { userId: 1, movies: Int32Array.from([20, 11, 5]), ratings: Float32Array.from([3.5, 4]) };
    cache.get(ragged, derive);
    assert.equal(derived.length, 8);
  });

  it('keeps the most recently used users up to its capacity', () => {
    const cache = new HistoryCache<number>(2);
    let calls = 0;
    const derive = (h: UserHistory) => (calls++, h.userId);
    const a = history(1, [1], [5]);
    const b = history(2, [1], [5]);
    const c = history(3, [1], [5]);
    cache.get(a, derive);
    cache.get(b, derive);
    cache.get(a, derive); // a is now the most recent
    cache.get(c, derive); // evicts b
    assert.equal(calls, 3);
    cache.get(a, derive);
    cache.get(c, derive);
    assert.equal(calls, 3);
    cache.get(b, derive);
    assert.equal(calls, 4);
    cache.clear();
    cache.get(c, derive);
    assert.equal(calls, 5);
  });
});
