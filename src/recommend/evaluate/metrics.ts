// Accuracy metrics, pure. Rating metrics compare predicted with actual ratings; ranking metrics
// compare a user's top-K list with their held-out movies, every held-out rating counting as
// relevant (binary relevance), as the Microsoft Recommenders MovieLens benchmark does.

export interface RatingMetrics {
  rmse: number;
  mae: number;
  mse: number;
  /** 1 − SS_res / SS_tot; with constant actual ratings (SS_tot = 0): 1 if every prediction is exact, else 0 (as scikit-learn). */
  r2: number;
  n: number;
}

export interface RankingMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  map: number;
  hitRate: number;
  /** Distinct movies recommended to anyone / the catalogue size. */
  coverage: number;
  /** Users averaged over. */
  users: number;
  k: number;
}

/** Streams (actual, predicted) pairs; `result()` gives the metrics so far (NaN when empty). */
export class RatingAccumulator {
  private n = 0;
  private sumSq = 0;
  private sumAbs = 0;
  // Welford's running mean and sum of squared deviations of the actual ratings, for R².
  private mean = 0;
  private m2 = 0;

  add(actual: number, predicted: number): void {
    const e = predicted - actual;
    this.n++;
    this.sumSq += e * e;
    this.sumAbs += Math.abs(e);
    const d = actual - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (actual - this.mean);
  }

  result(): RatingMetrics {
    const { n } = this;
    if (n === 0) return { rmse: NaN, mae: NaN, mse: NaN, r2: NaN, n: 0 };
    const mse = this.sumSq / n;
    const r2 = this.m2 > 0 ? 1 - this.sumSq / this.m2 : this.sumSq === 0 ? 1 : 0;
    return { rmse: Math.sqrt(mse), mae: this.sumAbs / n, mse, r2, n };
  }
}

export function ratingMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): RatingMetrics {
  if (actual.length !== predicted.length) {
    throw new RangeError(`ratingMetrics: ${actual.length} actual ratings but ${predicted.length} predictions`);
  }
  const acc = new RatingAccumulator();
  for (let i = 0; i < actual.length; i++) acc.add(actual[i], predicted[i]);
  return acc.result();
}

/** Hits among the first k recommended, over k (a list shorter than k is not rewarded for it). */
export function precisionAtK(recommended: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return k > 0 ? hits(recommended, relevant, k) / k : 0;
}

/** Hits among the first k recommended, over all relevant movies. */
export function recallAtK(recommended: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return relevant.size > 0 ? hits(recommended, relevant, k) / relevant.size : 0;
}

/** DCG = Σ over hits at 1-based rank i of 1 / log2(i + 1); ideal DCG puts min(|relevant|, k) hits first. */
export function ndcgAtK(recommended: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const top = Math.min(k, recommended.length);
  let dcg = 0;
  for (let i = 0; i < top; i++) if (relevant.has(recommended[i])) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  const best = Math.min(relevant.size, k);
  for (let i = 0; i < best; i++) ideal += 1 / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : 0;
}

/**
 * Average precision at k of one user (their mean over users is MAP@K): Σ over hits at rank i of
 * (hits within the first i) / i, divided by min(|relevant|, k) — the normalisation of Microsoft
 * Recommenders' map_at_k, so a user with more relevant movies than k can still reach 1.
 */
export function mapAtK(recommended: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const top = Math.min(k, recommended.length);
  let found = 0;
  let sum = 0;
  for (let i = 0; i < top; i++) {
    if (relevant.has(recommended[i])) {
      found++;
      sum += found / (i + 1);
    }
  }
  const denominator = Math.min(relevant.size, k);
  return denominator > 0 ? sum / denominator : 0;
}

/** 1 when any of the first k recommended is relevant, else 0 (its mean over users is the hit rate). */
export function hitRateAtK(recommended: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  return hits(recommended, relevant, k) > 0 ? 1 : 0;
}

/** Distinct movie ids among everything recommended to anyone, over the catalogue size. */
export function catalogueCoverage(recommendedMovieIds: Iterable<number>, catalogueSize: number): number {
  if (catalogueSize <= 0) return 0;
  return new Set(recommendedMovieIds).size / catalogueSize;
}

/**
 * Streams users: `add` one user's list and held-out movies, `result` averages over the users
 * added. A user whose list is empty still counts (with zeros): a model that cannot answer a user
 * is worse for it, not excused. Users with no relevant movie are not added by the evaluator.
 */
export class RankingAccumulator {
  private users = 0;
  private precision = 0;
  private recall = 0;
  private ndcg = 0;
  private map = 0;
  private hit = 0;
  private readonly recommended = new Set<number>();

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`ranking metrics: k must be a positive whole number, got ${k}`);
  }

  add(recommended: ArrayLike<number>, relevant: ReadonlySet<number>): void {
    const { k } = this;
    this.users++;
    this.precision += precisionAtK(recommended, relevant, k);
    this.recall += recallAtK(recommended, relevant, k);
    this.ndcg += ndcgAtK(recommended, relevant, k);
    this.map += mapAtK(recommended, relevant, k);
    this.hit += hitRateAtK(recommended, relevant, k);
    const top = Math.min(k, recommended.length);
    for (let i = 0; i < top; i++) this.recommended.add(recommended[i]);
  }

  result(catalogueSize: number): RankingMetrics {
    const n = this.users;
    const mean = (sum: number) => (n > 0 ? sum / n : NaN);
    return {
      precision: mean(this.precision),
      recall: mean(this.recall),
      ndcg: mean(this.ndcg),
      map: mean(this.map),
      hitRate: mean(this.hit),
      coverage: catalogueCoverage(this.recommended, catalogueSize),
      users: n,
      k: this.k,
    };
  }
}

/** The averaged ranking metrics of whole lists at once (the accumulator's result). */
export function rankingMetrics(
  users: Iterable<{ recommended: ArrayLike<number>; relevant: ReadonlySet<number> }>,
  k: number,
  catalogueSize: number,
): RankingMetrics {
  const acc = new RankingAccumulator(k);
  for (const u of users) acc.add(u.recommended, u.relevant);
  return acc.result(catalogueSize);
}

function hits(recommended: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const top = Math.min(k, recommended.length);
  let count = 0;
  for (let i = 0; i < top; i++) if (relevant.has(recommended[i])) count++;
  return count;
}
