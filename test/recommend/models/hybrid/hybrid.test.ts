import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fitRankingWeights, fitRatingByMeta, fitRatingWeights, rankingNdcg, type RankingCase } from '../../../../src/recommend/models/hybrid/hybrid-fit.js';
import { solveDense } from '../../../../src/recommend/models/linalg.js';
import { HybridModel, type HybridWeights } from '../../../../src/recommend/models/hybrid/hybrid.js';
import { CorruptArtefactError } from '../../../../src/recommend/models/array-file.js';
import type { ModelName } from '../../../../src/recommend/models/model-kinds.js';
import { emptyHistory, type Recommender, type Scored, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { Random } from '../../../../src/util/random.js';
import { tempDir } from '../../../helpers/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A component with fixed answers, standing in for a trained model inside the blend under test. */
function fixed(name: ModelName, predictions: Record<number, number>, list: number[]): Recommender {
  return {
    name,
    scale: { min: 0.5, max: 5 },
    predict: (_u: UserHistory, movieId: number) => predictions[movieId] ?? 3,
    recommend: (_u: UserHistory, n: number) => list.slice(0, n).map((movieId, r): Scored => ({ movieId, score: 1 / (r + 1) })),
    similar: (_m: number, n: number) => list.slice(0, n).map((movieId, r): Scored => ({ movieId, score: 1 / (r + 1) })),
    knowsUser: () => true,
    knowsMovie: (m: number) => m in predictions,
  };
}

describe('hybrid fitting', () => {
  it('solves a small dense system like a brute-force check', () => {
    const a = Float64Array.from([2, 1, 1, 1, 3, 2, 1, 0, 0]);
    const x = solveDense(Float64Array.from(a), Float64Array.from([4, 5, 6]), 3);
    for (let r = 0; r < 3; r++) {
      const lhs = a[r * 3] * x[0] + a[r * 3 + 1] * x[1] + a[r * 3 + 2] * x[2];
      assert.ok(Math.abs(lhs - [4, 5, 6][r]) < 1e-9);
    }
  });

  it('recovers the weights of a known linear blend of component predictions', () => {
    const random = new Random(3);
    const m = 5000;
    const a = new Float32Array(m);
    const b = new Float32Array(m);
    const y = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      a[i] = 1 + 4 * random.next();
      b[i] = 1 + 4 * random.next();
      y[i] = 0.3 + 0.6 * a[i] + 0.25 * b[i] + random.normal(0, 0.05);
    }
    const blend = fitRatingWeights(['als', 'itemcf'], [a, b], y, 0);
    assert.ok(Math.abs(blend.intercept - 0.3) < 0.02, `intercept ${blend.intercept}`);
    assert.ok(Math.abs((blend.weights.als ?? 0) - 0.6) < 0.01);
    assert.ok(Math.abs((blend.weights.itemcf ?? 0) - 0.25) < 0.01);
  });

  it('recovers weights that move with the meta-features (feature-weighted linear stacking)', () => {
    const random = new Random(12);
    const m = 20000;
    const a = new Float32Array(m);
    const b = new Float32Array(m);
    const history = new Float32Array(m);
    const movie = new Float32Array(m);
    const y = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      a[i] = 1 + 4 * random.next();
      b[i] = 1 + 4 * random.next();
      history[i] = Math.log1p(random.int(1, 500));
      movie[i] = Math.log1p(random.int(1, 300));
    }
    const mean = (v: Float32Array) => v.reduce((x, z) => x + z, 0) / v.length;
    const [ch, cm] = [mean(history), mean(movie)];
    for (let i = 0; i < m; i++) {
      const fh = history[i] - ch;
      const fm = movie[i] - cm;
      y[i] = 0.3 + 0.6 * a[i] + 0.25 * b[i] + fh * (0.1 + 0.05 * a[i]) + fm * (-0.2 + 0.1 * b[i]) + random.normal(0, 0.02);
    }
    const blend = fitRatingByMeta(['als', 'itemcf'], [a, b], y, [{ feature: 'history', values: history }, { feature: 'movie', values: movie }]);
    const near = (got: number | undefined, want: number, what: string) => assert.ok(Math.abs((got ?? NaN) - want) < 0.01, `${what}: ${got} for ${want}`);
    near(blend.intercept, 0.3, 'intercept');
    near(blend.weights.als, 0.6, 'als');
    near(blend.weights.itemcf, 0.25, 'itemcf');
    const [h, mv] = blend.meta!;
    assert.equal(h.feature, 'history');
    near(h.centre, ch, 'history centre');
    near(h.intercept, 0.1, 'history intercept');
    near(h.weights.als, 0.05, 'history × als');
    near(h.weights.itemcf, 0, 'history × itemcf');
    near(mv.intercept, -0.2, 'movie intercept');
    near(mv.weights.itemcf, 0.1, 'movie × itemcf');
  });

  it('puts the ranking weight on the component whose lists hold the held-out movies', () => {
    // Component A ranks the relevant movies first; B ranks them last.
    const cases = Array.from({ length: 20 }, (_, u) => {
      const relevant = new Set([u * 10 + 1, u * 10 + 2]);
      const good = Int32Array.from([u * 10 + 1, u * 10 + 2, u * 10 + 3, u * 10 + 4]);
      const bad = Int32Array.from([u * 10 + 5, u * 10 + 6, u * 10 + 3, u * 10 + 4]);
      return { lists: [bad, good], relevant };
    });
    const fit = fitRankingWeights(['itemcf', 'als'], cases, { k: 2, rrfK: 60 });
    assert.equal(fit.ndcg, 1);
    assert.ok((fit.weights.als ?? 0) > (fit.weights.itemcf ?? 0));
  });

  it('falls back to the preferred component unless another ranks the validation users clearly better', () => {
    // Both find user u's movie for u < both; only `b` for u < bOnly; nobody after.
    const cases = (both: number, bOnly: number): RankingCase[] => Array.from({ length: 200 }, (_, u) => {
      const hit = u * 10 + 1;
      const list = (finds: boolean, filler: number) => Int32Array.from(finds ? [hit, filler] : [filler, filler + 1]);
      return { lists: [list(u < both, u * 10 + 3), list(u < bOnly, u * 10 + 6)], relevant: new Set([hit]) };
    });
    // One user apart: 1 standard error, noise.
    const close = cases(100, 101);
    assert.deepEqual(fitRankingWeights(['a', 'b'], close, { k: 2, rrfK: 60 }).weights, { a: 0, b: 1 }, 'without a preference: the best on validation');
    const kept = fitRankingWeights(['a', 'b'], close, { k: 2, rrfK: 60, preference: ['a', 'b'] });
    assert.deepEqual(kept.weights, { a: 1, b: 0 }, 'within the noise the preferred one stays');
    assert.equal(kept.ndcg, 0.5);
    assert.equal(kept.blended, false);
    // Fifty users apart: b replaces it.
    assert.deepEqual(fitRankingWeights(['a', 'b'], cases(100, 150), { k: 2, rrfK: 60, preference: ['a', 'b'] }).weights, { a: 0, b: 1 });
  });

  /**
   * Validation users whose relevant movies two components each half know: `a` lists the even
   * ones of a user's relevant movies first, `b` the odd ones, each then its own filler; `noise` a
   * random list of the same pool.
   */
  function complementary(users: number, seed: number): RankingCase[] {
    const rng = new Random(seed);
    return Array.from({ length: users }, (_, u) => {
      const base = u * 100;
      const relevant = Array.from({ length: 6 }, (_, i) => base + i);
      const fill = (from: number) => Array.from({ length: 14 }, (_, i) => base + from + i);
      // Each component finds most of its half, and misses by chance.
      const mine = (parity: number) => relevant.filter((m, i) => i % 2 === parity && rng.chance(0.85));
      const a = [...mine(0), ...fill(20)];
      const b = [...mine(1), ...fill(40)];
      const noise = [...relevant, ...fill(20), ...fill(40)].sort(() => rng.next() - 0.5).slice(0, 20);
      const scored = (list: number[]) => Float64Array.from(list, (_, r) => 1 / (r + 1));
      return { lists: [Int32Array.from(a), Int32Array.from(b), Int32Array.from(noise)], scores: [scored(a), scored(b), scored(noise)], relevant: new Set(relevant), historySize: 5 + (u % 40) };
    });
  }

  for (const fusion of ['rrf', 'score'] as const) {
    it(`(${fusion} fusion) blends two components that each know half, gives pure noise ~0 weight, and beats the best part`, () => {
      const cases = complementary(400, 21);
      const names = ['a', 'b', 'noise'];
      const fit = fitRankingWeights(names, cases, { k: 10, rrfK: 60, fusion });
      assert.equal(fit.blended, true);
      assert.ok(fit.gain >= 2 * fit.gainSe);
      assert.ok((fit.weights.a ?? 0) > 0.25 && (fit.weights.b ?? 0) > 0.25, JSON.stringify(fit.weights));
      assert.ok((fit.weights.noise ?? 0) <= 0.05, `noise weight ${fit.weights.noise}`);
      assert.ok(fit.ndcg > Math.max(fit.single.a!, fit.single.b!, fit.single.noise!) + 0.05);
      assert.ok(Math.abs(rankingNdcg(names, cases, fit.weights, { k: 10, rrfK: 60, fusion }) - fit.ndcg) < 1e-12);
      const sum = Object.values(fit.weights).reduce((x, y) => x! + y!, 0)!;
      assert.ok(Math.abs(sum - 1) < 1e-12, 'weights sum to 1');
    });
  }

  it('keeps the best single component when blending gains no more than the noise', () => {
    // Two copies of one component: blending cannot change any list.
    const cases = complementary(100, 4).map((c) => ({ ...c, lists: [c.lists[0], c.lists[0], c.lists[2]], scores: [c.scores![0], c.scores![0], c.scores![2]] }));
    const fit = fitRankingWeights(['first', 'second', 'noise'], cases, { k: 10, rrfK: 60 });
    assert.deepEqual(fit.weights, { first: 1, second: 0, noise: 0 });
    assert.equal(fit.ndcg, fit.single.first);
  });

});

describe('HybridModel', () => {
  const weights: HybridWeights = {
    rating: { intercept: 0.5, weights: { als: 0.5, itemcf: 0.5 } },
    ranking: { weights: { als: 0.75, itemcf: 0.25 }, rrfK: 1, depth: 1 },
  };
  const components = new Map<ModelName, Recommender>([
    ['als', fixed('als', { 1: 4, 2: 2 }, [1, 2, 3])],
    ['itemcf', fixed('itemcf', { 1: 3, 2: 5 }, [3, 2, 1])],
  ]);

  it('predicts the fitted linear blend, clamped to the scale', () => {
    const hybrid = new HybridModel(components, weights);
    const user = emptyHistory(1);
    assert.equal(hybrid.predict(user, 1), 0.5 + 0.5 * 4 + 0.5 * 3);
    const high = new HybridModel(components, { ...weights, rating: { intercept: 3, weights: { als: 1 } } });
    assert.equal(high.predict(user, 1), 5);
  });

  it('predicts with weights that move with the user\'s history size and the movie\'s rating count', () => {
    const counted = { ...fixed('popularity', { 1: 3.5 }, []), count: (id: number) => (id === 1 ? 99 : 0) };
    const parts = new Map<ModelName, Recommender>([...components, ['popularity', counted]]);
    const meta: HybridWeights['rating']['meta'] = [
      { feature: 'history', centre: 1, intercept: 0.2, weights: { als: 0.1 } },
      { feature: 'movie', centre: 2, intercept: 0, weights: { itemcf: -0.05 } },
    ];
    const hybrid = new HybridModel(parts, { ...weights, rating: { intercept: 0.5, weights: { als: 0.5, itemcf: 0.5 }, meta } });
    const user = { userId: 1, movies: Int32Array.from([5, 6, 7]), ratings: Float32Array.from([3, 3, 3]) };
    const fh = Math.log1p(3) - 1;
    const fm = Math.log1p(99) - 2;
    const want = 0.5 + fh * 0.2 + (0.5 + fh * 0.1) * 4 + (0.5 + fm * -0.05) * 3;
    assert.ok(Math.abs(hybrid.predict(user, 1) - want) < 1e-12);
  });

  it('fuses the components\' ranks: Σ w / (rrfK + rank)', () => {
    const hybrid = new HybridModel(components, weights);
    const top = hybrid.recommend(emptyHistory(1), 3);
    // movie 1: 0.75/2 + 0.25/4 = 0.4375; movie 2: 0.75/3 + 0.25/3 = 0.3333; movie 3: 0.75/4 + 0.25/2 = 0.3125
    assert.deepEqual(top.map((s) => s.movieId), [1, 2, 3]);
    assert.ok(Math.abs(top[0].score - 0.4375) < 1e-12);
  });

  it('fuses long lists of any ids like a brute-force sum, at the depth it asks each component for', () => {
    const rng = new Random(8);
    // Ids from a small range (many shared between components) and far ones (negative, large).
    const id = () => (rng.chance(0.8) ? rng.int(1, 900) : rng.chance(0.5) ? -rng.int(1, 5000) : 2_000_000_000 - rng.int(0, 5000));
    const lists = new Map<ModelName, number[]>(
      (['als', 'itemcf', 'content', 'popularity'] as ModelName[]).map((name) => [name, [...new Set(Array.from({ length: 1200 }, id))]]),
    );
    const asked: number[] = [];
    const parts = new Map<ModelName, Recommender>(
      [...lists].map(([name, list]) => {
        const model = fixed(name, {}, list);
        return [name, { ...model, recommend: (u: UserHistory, depth: number) => (asked.push(depth), model.recommend(u, depth)) }];
      }),
    );
    const w: HybridWeights = { rating: { intercept: 0, weights: {} }, ranking: { weights: { als: 0.4, itemcf: 0.3, content: 0.2, popularity: 0 }, rrfK: 60, depth: 3 } };
    const hybrid = new HybridModel(parts, w);
    for (const n of [10, 100, 250]) {
      asked.length = 0;
      const got = hybrid.recommend(emptyHistory(1), n);
      const depth = Math.max(50, 3 * n);
      assert.deepEqual(asked, [depth, depth, depth], 'a component of weight 0 is not asked');
      const sums = new Map<number, number>();
      for (const [name, list] of lists) {
        const weight = w.ranking.weights[name]!;
        if (weight > 0) list.slice(0, depth).forEach((m, r) => sums.set(m, (sums.get(m) ?? 0) + weight / (60 + r + 1)));
      }
      const want = [...sums].map(([movieId, score]) => ({ movieId, score })).sort((a, b) => b.score - a.score || a.movieId - b.movieId).slice(0, n);
      assert.deepEqual(got.map((s) => s.movieId), want.map((s) => s.movieId), `n = ${n}`);
      got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-12));
    }
    // Nothing of one call leaks into the next.
    assert.deepEqual(hybrid.recommend(emptyHistory(1), 10), hybrid.recommend(emptyHistory(2), 10));
  });

  it('fuses min-max normalised scores: Σ w·(0.05 + 0.95·(s − min)/(max − min)) over each list', () => {
    const hybrid = new HybridModel(components, { ...weights, ranking: { ...weights.ranking, fusion: 'score' } });
    // als [1, 2, 3] scores 1, 1/2, 1/3; itemcf [3, 2, 1] likewise.
    const term = (s: number) => 0.05 + (0.95 * (s - 1 / 3)) / (1 - 1 / 3);
    const want = new Map([[1, 0.75 * term(1) + 0.25 * term(1 / 3)], [2, 0.75 * term(1 / 2) + 0.25 * term(1 / 2)], [3, 0.75 * term(1 / 3) + 0.25 * term(1)]]);
    const top = hybrid.recommend(emptyHistory(1), 3);
    assert.deepEqual(top.map((s) => s.movieId), [...want].sort((a, b) => b[1] - a[1]).map((e) => e[0]));
    top.forEach((s) => assert.ok(Math.abs(s.score - want.get(s.movieId)!) < 1e-12));
  });

  it('ranks users with few ratings by their own weights when it has them', () => {
    const w: HybridWeights = { ...weights, ranking: { ...weights.ranking, weights: { als: 1, itemcf: 0 }, newUsers: { below: 3, weights: { als: 0, itemcf: 1 } } } };
    const hybrid = new HybridModel(components, w);
    const few = { userId: 1, movies: Int32Array.from([7, 8]), ratings: Float32Array.from([4, 4]) };
    const many = { userId: 2, movies: Int32Array.from([7, 8, 9]), ratings: Float32Array.from([4, 4, 4]) };
    assert.deepEqual(hybrid.recommend(few, 3).map((s) => s.movieId), [3, 2, 1], 'item-CF\'s order');
    assert.deepEqual(hybrid.recommend(many, 3).map((s) => s.movieId), [1, 2, 3], 'ALS\'s order');
  });

  it('saves its weights and refuses a damaged weights file', () => {
    const { dir, cleanup } = tempDir();
    try {
      const hybrid = new HybridModel(components, weights);
      assert.deepEqual(hybrid.save(dir), ['hybrid.json']);
      assert.deepEqual(HybridModel.loadWeights(dir), weights);
      const fitted: HybridWeights = {
        rating: { ...weights.rating, meta: [{ feature: 'movie', centre: 3, intercept: 0.1, weights: { als: 0.2 } }] },
        ranking: { ...weights.ranking, fusion: 'score', newUsers: { below: 20, weights: { als: 1 } } },
      };
      new HybridModel(components, fitted).save(dir);
      assert.deepEqual(HybridModel.loadWeights(dir), fitted);
      // A format-1 file (before fusions and segments) still loads: rank fusion.
      writeFileSync(join(dir, 'hybrid.json'), JSON.stringify({ format: 1, weights }));
      assert.equal(new HybridModel(components, HybridModel.loadWeights(dir)).recommend(emptyHistory(1), 1)[0].movieId, 1);
      writeFileSync(join(dir, 'hybrid.json'), '{"format":1}');
      assert.throws(() => HybridModel.loadWeights(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
