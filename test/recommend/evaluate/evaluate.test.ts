import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RatingsBuilder } from '../../../src/recommend/data/ratings-parse.js';
import { formatPublishedAnchors } from '../../../src/recommend/evaluate/published-anchors.js';
import { averageResults, evaluateModels, evaluationReport, formatComparisonTable, type EvaluationResult } from '../../../src/recommend/evaluate/evaluate.js';
import type { ModelName } from '../../../src/recommend/models/model-kinds.js';
import type { Recommender, Scored, UserHistory } from '../../../src/recommend/models/recommender.js';

/**
 * A model simple enough to compute its metrics by hand: predicts the user's mean rating in their
 * history (3 without one); recommends from the fixed list 10, 11, 12 (never 16), history excluded.
 */
class MeanModel implements Recommender {
  readonly name: ModelName = 'popularity';
  readonly scale = { min: 0.5, max: 5 };
  readonly histories: number[][] = [];
  predict(user: UserHistory): number {
    this.histories.push([...user.movies]);
    if (user.ratings.length === 0) return 3;
    return user.ratings.reduce((s, r) => s + r, 0) / user.ratings.length;
  }
  recommend(user: UserHistory, n: number): Scored[] {
    const seen = new Set(user.movies);
    return [10, 11, 12].filter((m) => !seen.has(m)).slice(0, n).map((movieId, i) => ({ movieId, score: -i }));
  }
  similar(): Scored[] {
    return [];
  }
  knowsUser(): boolean {
    return true;
  }
  knowsMovie(): boolean {
    return true;
  }
}

function table() {
  const b = new RatingsBuilder();
  b.push(1, 10, 4, 0); // 0 train
  b.push(1, 11, 2, 0); // 1 train
  b.push(1, 12, 5, 0); // 2 test
  b.push(1, 13, 3, 0); // 3 test
  b.push(2, 10, 5, 0); // 4 train
  b.push(2, 14, 3, 0); // 5 test
  b.push(3, 15, 1, 0); // 6 test: user 3 has no training history
  b.push(2, 12, 4, 0); // 7 train
  b.push(2, 16, 2, 0); // 8 train
  return { columns: b.finish(), split: { train: Int32Array.from([0, 1, 4, 7, 8]), test: Int32Array.from([2, 3, 5, 6]) } };
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('evaluateModels', () => {
  it('computes the hand-computed rating and top-K metrics of a trivial model', () => {
    const { columns, split } = table();
    const model = new MeanModel();
    const progress: number[][] = [];
    const [r] = evaluateModels({ columns, split, models: [model], k: 2, seed: 1, onProgress: (_m, done, total) => progress.push([done, total]) });
    // Histories: user 1 {10: 4, 11: 2} mean 3; user 2 {10: 5, 12: 4, 16: 2} mean 11/3; user 3 none → 3.
    // Test rows: (1,12,5) pred 3 err −2; (1,13,3) pred 3 err 0; (2,14,3) pred 11/3 err 2/3; (3,15,1) pred 3 err 2.
    // Squares 4 + 0 + 4/9 + 4 = 76/9 → MSE 19/9; MAE (2 + 0 + 2/3 + 2)/4 = 7/6.
    // Actual mean (5+3+3+1)/4 = 3, SS_tot = 4 + 0 + 0 + 4 = 8 → R² = 1 − (76/9)/8 = −1/18.
    close(r.rating.mse, 19 / 9, 'mse');
    close(r.rating.rmse, Math.sqrt(19 / 9), 'rmse');
    close(r.rating.mae, 7 / 6, 'mae');
    close(r.rating.r2, -1 / 18, 'r2');
    assert.equal(r.rating.n, 4);
    // Top-2 from 10 11 12 minus the history:
    //   user 1 (test {12, 13}): [12] → P 1/2, R 1/2, NDCG 1/(1 + 1/log2 3), AP (1/1)/min(2,2) = 1/2, hit
    //   user 2 (test {14}): [11] → 0;  user 3 (test {15}): [10, 11] → 0
    close(r.ranking.precision, 1 / 6, 'precision');
    close(r.ranking.recall, 1 / 6, 'recall');
    close(r.ranking.ndcg, 1 / (1 + 1 / Math.log2(3)) / 3, 'ndcg');
    close(r.ranking.map, 1 / 6, 'map');
    close(r.ranking.hitRate, 1 / 3, 'hit rate');
    // Recommended 10, 11, 12 out of the 4 training movies 10, 11, 12, 16.
    close(r.ranking.coverage, 3 / 4, 'coverage');
    assert.equal(r.ranking.users, 3);
    assert.equal(r.model, 'popularity');
    // The model was only ever shown training rows.
    for (const h of model.histories) for (const m of h) assert.ok([10, 11, 12, 16].includes(m), `history movie ${m} is a training movie`);
    assert.deepEqual(progress.at(-1), [3 + 3, 3 + 3]);
  });

  it('samples test users for top-K with the seed, the same sample for the same seed', () => {
    const { columns, split } = table();
    const a = evaluateModels({ columns, split, models: [new MeanModel()], k: 2, seed: 9, maxUsers: 2 })[0];
    const b = evaluateModels({ columns, split, models: [new MeanModel()], k: 2, seed: 9, maxUsers: 2 })[0];
    assert.equal(a.ranking.users, 2);
    assert.deepEqual({ ...a.ranking }, { ...b.ranking });
    assert.equal(a.rating.n, 4, 'every test rating is still predicted');
  });

  it('averages folds, and prints one table and the JSON report', () => {
    const fold = (rmse: number, ndcg: number, model = 'als'): EvaluationResult => ({
      model,
      rating: { rmse, mae: rmse, mse: rmse * rmse, r2: 0.5, n: 100 },
      ranking: { precision: ndcg, recall: ndcg, ndcg, map: ndcg, hitRate: ndcg, coverage: 0.5, users: 10, k: 10 },
      seconds: 1,
    });
    const [avg] = averageResults([[fold(0.8, 0.2)], [fold(1.0, 0.4)]]);
    close(avg.rating.rmse, 0.9, 'mean rmse');
    close(avg.ranking.ndcg, 0.3, 'mean ndcg');
    assert.equal(avg.rating.n, 200);
    assert.equal(avg.ranking.users, 20);
    assert.equal(avg.folds, 2);
    const timed = averageResults([[{ ...fold(0.8, 0.2), trainingSeconds: 2 }], [{ ...fold(1.0, 0.4), trainingSeconds: 4 }]]);
    assert.equal(timed[0].trainingSeconds, 3, 'training seconds: the mean fit');

    const results = [fold(0.8123, 0.2), { ...fold(NaN, 0.1, 'popularity') }];
    const text = formatComparisonTable(results, 'random 80/20 split, seed 42, top-10 over 10 users');
    const lines = text.split('\n');
    assert.equal(lines[0], 'random 80/20 split, seed 42, top-10 over 10 users');
    assert.match(lines[1], /^model\s+RMSE\s+MAE\s+MSE\s+R²\s+P@10\s+R@10\s+NDCG@10\s+MAP@10\s+HR@10\s+coverage\s+test ratings\s+users\s+train s\s+eval s$/);
    assert.match(lines[3], /^als\s+0\.8123\s/);
    assert.match(lines[4], /^popularity\s+-\s/, 'a metric that could not be measured shows as -');
    const anchors = formatPublishedAnchors().split('\n');
    assert.match(anchors[0], /^published, not measured \(Microsoft Recommenders benchmark, MovieLens 100K, per-user stratified 75\/25, top-10\):$/);
    assert.match(anchors[3], /^most popular \(by count\)\s+0\.225\s+0\.253$/);
    assert.match(anchors[9], /^BiVAE\s+0\.412\s+0\.475$/);
    const json = JSON.parse(JSON.stringify(evaluationReport(results, 'p'))) as { protocol: string; k: number; results: { rating: { rmse: number | null } }[] };
    assert.equal(json.k, 10);
    assert.equal(json.results[1].rating.rmse, null);
  });
});
