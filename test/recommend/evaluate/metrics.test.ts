import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  catalogueCoverage,
  hitRateAtK,
  mapAtK,
  ndcgAtK,
  precisionAtK,
  rankingMetrics,
  ratingMetrics,
  recallAtK,
} from '../../../src/recommend/evaluate/metrics.js';

const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

describe('rating metrics', () => {
  it('RMSE, MAE, MSE and R² of a tiny example', () => {
    // actual 4 3 5 2, predicted 3.5 3 4 3: errors −0.5 0 −1 +1
    // squares .25 + 0 + 1 + 1 = 2.25 → MSE 2.25/4 = 0.5625, RMSE 0.75; MAE (0.5+0+1+1)/4 = 0.625
    // mean actual 3.5 → SS_tot = .25 + .25 + 2.25 + 2.25 = 5 → R² = 1 − 2.25/5 = 0.55
    const m = ratingMetrics([4, 3, 5, 2], new Float32Array([3.5, 3, 4, 3]));
    close(m.mse, 0.5625, 'mse');
    close(m.rmse, 0.75, 'rmse');
    close(m.mae, 0.625, 'mae');
    close(m.r2, 0.55, 'r2');
    assert.equal(m.n, 4);
  });

  it('R² when every actual rating is the same: 1 if exact, else 0; empty input is NaN', () => {
    assert.equal(ratingMetrics([3, 3], [3, 3]).r2, 1);
    assert.equal(ratingMetrics([3, 3], [3, 4]).r2, 0);
    const empty = ratingMetrics([], []);
    assert.ok(Number.isNaN(empty.rmse) && Number.isNaN(empty.r2));
    assert.equal(empty.n, 0);
    assert.throws(() => ratingMetrics([1, 2], [1]), /2 actual ratings but 1 predictions/);
  });
});

describe('ranking metrics', () => {
  const recommended = [10, 20, 30, 40, 50];
  const relevant = new Set([20, 50, 60]); // hits at ranks 2 and 5; 60 was never recommended

  it('at k = 5', () => {
    close(precisionAtK(recommended, relevant, 5), 2 / 5, 'precision'); // 2 hits / k
    close(recallAtK(recommended, relevant, 5), 2 / 3, 'recall'); // 2 hits / 3 relevant
    // DCG = 1/log2(2+1) + 1/log2(5+1); ideal: min(3, 5) = 3 hits first: 1/log2 2 + 1/log2 3 + 1/log2 4 = 1 + 1/log2(3) + 1/2
    close(ndcgAtK(recommended, relevant, 5), (1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3) + 1 / 2), 'ndcg');
    // AP: hit at rank 2 → 1/2, at rank 5 → 2/5; (0.5 + 0.4) / min(3, 5) = 0.3
    close(mapAtK(recommended, relevant, 5), 0.3, 'map');
    assert.equal(hitRateAtK(recommended, relevant, 5), 1);
  });

  it('only the first k count; MAP and NDCG normalise by min(|relevant|, k)', () => {
    // k = 3: top 10 20 30, one hit at rank 2
    close(precisionAtK(recommended, relevant, 3), 1 / 3);
    close(recallAtK(recommended, relevant, 3), 1 / 3);
    close(ndcgAtK(recommended, relevant, 3), 1 / Math.log2(3) / (1 + 1 / Math.log2(3) + 1 / 2));
    close(mapAtK(recommended, relevant, 3), 1 / 2 / 3);
    // k = 2: still the hit at rank 2; the ideal has min(3, 2) = 2 hits, AP divides by 2
    close(ndcgAtK(recommended, relevant, 2), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)));
    close(mapAtK(recommended, relevant, 2), 1 / 2 / 2);
    // k = 1: no hit
    assert.equal(hitRateAtK(recommended, relevant, 1), 0);
    assert.equal(ndcgAtK(recommended, relevant, 1), 0);
  });

  it('a list shorter than k: precision still divides by k, the others are not penalised', () => {
    const one = [20];
    const rel = new Set([20]);
    close(precisionAtK(one, rel, 5), 1 / 5);
    assert.equal(recallAtK(one, rel, 5), 1);
    assert.equal(ndcgAtK(one, rel, 5), 1);
    assert.equal(mapAtK(one, rel, 5), 1);
  });

  it('averaged over users, with catalogue coverage', () => {
    // user A: the example above (k = 5); user B: recommended 1 2, relevant {7}: all zero
    const m = rankingMetrics(
      [
        { recommended, relevant },
        { recommended: [1, 2], relevant: new Set([7]) },
      ],
      5,
      20,
    );
    close(m.precision, (0.4 + 0) / 2);
    close(m.recall, (2 / 3 + 0) / 2);
    close(m.map, (0.3 + 0) / 2);
    close(m.hitRate, 0.5);
    close(m.ndcg, ndcgAtK(recommended, relevant, 5) / 2);
    close(m.coverage, 7 / 20); // distinct 10 20 30 40 50 1 2 = 7 of 20 movies
    assert.equal(m.users, 2);
    assert.equal(m.k, 5);
    close(catalogueCoverage([1, 2, 2, 3], 10), 0.3);
    assert.ok(Number.isNaN(rankingMetrics([], 5, 10).precision), 'no users: NaN, not 0');
  });
});
