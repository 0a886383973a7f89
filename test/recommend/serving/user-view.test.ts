// The Recommendations page's user view, piece by piece: why a movie is recommended (the user's
// rated movies among the model's nearest neighbours of it, against a brute-force reading of the
// model's full similarity list) and the user's ratings as listed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Catalogue } from '../../../src/movies/catalogue.js';
import type { Recommender, Scored, UserHistory } from '../../../src/recommend/models/recommender.js';
import { because, buildUserView, EXPLAIN_NEIGHBOURS, recentRatings } from '../../../src/recommend/serving/user-view.js';
import { Random } from '../../../src/util/random.js';

const catalogue = Catalogue.fromMovies(Array.from({ length: 1200 }, (_, i) => ({ movieId: i + 1, title: `Movie ${i + 1} (${1950 + (i % 60)})`, year: 1950 + (i % 60), genres: ['Drama'] })));

/** A model whose similarity of two movies is a fixed random number, listed by `similar` in a shuffled order (as the hybrid's fusion order is). */
function randomSimilarityModel(seed: number): Recommender & { sim(a: number, b: number): number } {
  const sim = (a: number, b: number) => {
    const r = new Random(seed + Math.min(a, b) * 7919 + Math.max(a, b) * 104729);
    return r.next() < 0.1 ? 0 : r.next();
  };
  return {
    name: 'fake',
    scale: { min: 0.5, max: 5 },
    sim,
    predict: () => 3,
    recommend: () => [],
    similar(movieId: number, n: number): Scored[] {
      const all = catalogue.all().filter((m) => m.movieId !== movieId).map((m) => ({ movieId: m.movieId, score: sim(movieId, m.movieId) })).filter((s) => s.score > 0);
      const top = all.sort((a, b) => b.score - a.score || a.movieId - b.movieId).slice(0, n);
      // Not by score: `because` must sort itself.
      return top.sort((a, b) => (a.movieId * 31) % 17 - (b.movieId * 31) % 17);
    },
    knowsUser: () => true,
    knowsMovie: () => true,
  };
}

describe('user view', () => {
  it('explains a recommendation by the rated movies among its nearest neighbours, most similar first', () => {
    const model = randomSimilarityModel(5);
    const random = new Random(9);
    for (let trial = 0; trial < 20; trial++) {
      const rated = new Map<number, number>();
      while (rated.size < 40) rated.set(1 + Math.floor(random.next() * 1200), 0.5 + Math.floor(random.next() * 10) / 2);
      const movie = 1 + Math.floor(random.next() * 1200);
      // Brute force: every movie's similarity to `movie`, the nearest EXPLAIN_NEIGHBOURS kept, then the rated ones by similarity.
      const nearest = catalogue.all().map((m) => m.movieId).filter((m) => m !== movie)
        .map((m) => ({ m, s: model.sim(movie, m) })).filter((x) => x.s > 0)
        .sort((a, b) => b.s - a.s || a.m - b.m).slice(0, EXPLAIN_NEIGHBOURS);
      const expected = nearest.filter((x) => rated.has(x.m)).slice(0, 3).map((x) => x.m);
      const got = because(model, movie, rated, catalogue);
      assert.deepEqual(got.map((b) => b.movie_id), expected, `trial ${trial}`);
      for (const b of got) {
        assert.equal(b.rating, rated.get(b.movie_id));
        assert.equal(b.similarity, Math.round(model.sim(movie, b.movie_id) * 10_000) / 10_000);
        assert.equal(b.title, `Movie ${b.movie_id} (${1950 + ((b.movie_id - 1) % 60)})`);
      }
    }
    assert.deepEqual(because(model, 5, new Map(), catalogue), [], 'no ratings, no reason');
  });

  it('lists streamed ratings newest first, then training ratings best first, without repeating a re-rated movie', () => {
    const history: UserHistory = { userId: 7, movies: Int32Array.from([10, 11, 12, 13, 20]), ratings: Float32Array.from([3, 5, 4, 5, 1]) };
    const streamed = [
      { userId: 7, movieId: 20, rating: 1, timestamp: Date.UTC(2026, 0, 2) },
      { userId: 7, movieId: 10, rating: 3, timestamp: Date.UTC(2026, 0, 1) },
    ];
    const list = recentRatings(history, streamed, catalogue);
    assert.deepEqual(list.map((r) => [r.movie_id, r.rating, r.streamed]), [[20, 1, true], [10, 3, true], [11, 5, false], [13, 5, false], [12, 4, false]]);
    assert.equal(list[0]!.rated_at, '2026-01-02T00:00:00.000Z');
    assert.equal(list[2]!.rated_at, null);
    assert.deepEqual(recentRatings(history, streamed, catalogue, 3).map((r) => r.movie_id), [20, 10, 11]);
  });

  it('builds every model\'s list with its reasons, and none for a fallback list', () => {
    const model = randomSimilarityModel(3);
    const history: UserHistory = { userId: 7, movies: Int32Array.from([1, 2, 3]), ratings: Float32Array.from([5, 4, 1]), fresh: true };
    const view = buildUserView({
      userId: 7,
      history,
      inTrainingData: false,
      streamed: [],
      catalogue,
      models: [{ name: 'a', version: 'v1', model }, { name: 'b', version: 'v2', model }],
      defaultModel: 'b',
      listOf: (name) => {
        const scored = [{ movieId: 100, score: 0.91234567 }, { movieId: 200, score: 0.5 }];
        return { source: name === 'a' ? 'model' : 'fallback_popular', scored, ratings: () => scored.map((s) => s.score * 5) };
      },
      now: new Date(Date.UTC(2026, 0, 1)),
    });
    assert.equal(view.ratings.count, 3);
    assert.deepEqual(view.models.map((m) => [m.model, m.version, m.default, m.source]), [['a', 'v1', false, 'model'], ['b', 'v2', true, 'fallback_popular']]);
    const first = view.models[0]!.recommendations[0]!;
    assert.deepEqual([first.movie_id, first.rank, first.score, first.predicted_rating], [100, 1, 0.9123, 4.5617]);
    assert.deepEqual(first.because.map((b) => b.movie_id), because(model, 100, new Map([[1, 5], [2, 4], [3, 1]]), catalogue).map((b) => b.movie_id));
    assert.ok(view.models[1]!.recommendations.every((r) => r.because.length === 0));
    assert.equal(view.timestamp, '2026-01-01T00:00:00.000Z');
  });
});
