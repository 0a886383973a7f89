// Evaluates trained models on a split's test rows: rating accuracy on every test rating, top-K
// accuracy on a seeded sample of test users. Each user's question carries their training history
// only, so what they rated in training is excluded from their list (recommend() never returns it)
// and every held-out rating counts as relevant.
import { Random } from '../../util/random.js';
import { formatTable } from '../../util/table.js';
import { buildInteractions, type Interactions } from '../data/interactions.js';
import type { RatingColumns } from '../data/ratings-parse.js';
import { emptyHistory, type Recommender, type UserHistory } from '../models/recommender.js';
import { RankingAccumulator, RatingAccumulator, type RankingMetrics, type RatingMetrics } from './metrics.js';
import type { Split } from './splits.js';

export const DEFAULT_MAX_USERS = 5000;

export interface EvaluationInput {
  columns: RatingColumns;
  split: Split;
  /** Already trained on `split.train`. */
  models: Recommender[];
  k: number;
  /** Test users sampled (seeded) for the top-K metrics; default 5,000. Every test rating is predicted. */
  maxUsers?: number;
  seed: number;
  /** The training matrix of `split.train`, when the caller has built it already (saves a rebuild). */
  train?: Interactions;
  /** Called every few hundred users and at the end of each model: units are test users (rating pass) + sampled users (ranking pass). */
  onProgress?: (model: string, done: number, total: number) => void;
}

export interface EvaluationResult {
  model: string;
  rating: RatingMetrics;
  ranking: RankingMetrics;
  /** Wall time of this model's evaluation (summed over folds by averageResults). */
  seconds: number;
  /** Wall time of this model's fit, when the caller timed it (averaged over folds: seconds a fit). */
  trainingSeconds?: number;
  /** Folds averaged over (set by averageResults). */
  folds?: number;
}

/** What `streamrec evaluate --json` prints. NaN metrics (nothing to measure) become null in JSON. */
export interface EvaluationReport {
  protocol: string;
  k: number;
  results: EvaluationResult[];
}

const PROGRESS_EVERY = 500;

export function evaluateModels(input: EvaluationInput): EvaluationResult[] {
  const { columns, split, models, k, seed } = input;
  const maxUsers = input.maxUsers ?? DEFAULT_MAX_USERS;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`evaluate: k must be a positive whole number, got ${k}`);
  if (!Number.isInteger(maxUsers) || maxUsers < 1) throw new RangeError(`evaluate: maxUsers must be a positive whole number, got ${maxUsers}`);

  const train = input.train ?? buildInteractions(columns, split.train);
  const histories = historyIndex(train);
  const test = buildInteractions(columns, split.test);
  const testMovieIds = rawIds(test.userItems, test.movies.ids);
  const nTestUsers = test.users.size;
  const sample = sampleIndices(nTestUsers, maxUsers, seed);
  const total = nTestUsers + sample.length;

  return models.map((model) => {
    const started = performance.now();
    const report = (done: number) => input.onProgress?.(model.name, done, total);
    const rating = ratingPass(model, histories, test, testMovieIds, report);
    const ranking = new RankingAccumulator(k);
    for (let s = 0; s < sample.length; s++) {
      const t = sample[s];
      const relevant = new Set(testMovieIds.subarray(test.userPtr[t], test.userPtr[t + 1]));
      const list = model.recommend(histories(test.users.ids[t]), k).map((r) => r.movieId);
      ranking.add(list, relevant);
      if ((s + 1) % PROGRESS_EVERY === 0) report(nTestUsers + s + 1);
    }
    report(total);
    return {
      model: model.name,
      rating: rating.result(),
      ranking: ranking.result(train.movies.size),
      seconds: (performance.now() - started) / 1000,
    };
  });
}

/**
 * Rating accuracy only (RMSE, MAE, MSE, R² over every test rating), each user's question carrying
 * their training history: what `train` stores as a version's held-out metrics.
 */
export function evaluateRatings(input: { columns: RatingColumns; split: Split; model: Recommender; train?: Interactions; onProgress?: (done: number, total: number) => void }): RatingMetrics {
  const { columns, split, model } = input;
  const train = input.train ?? buildInteractions(columns, split.train);
  const test = buildInteractions(columns, split.test);
  const testMovieIds = rawIds(test.userItems, test.movies.ids);
  const metrics = ratingPass(model, historyIndex(train), test, testMovieIds, (done) => input.onProgress?.(done, test.users.size)).result();
  input.onProgress?.(test.users.size, test.users.size);
  return metrics;
}

function ratingPass(model: Recommender, histories: (userId: number) => UserHistory, test: Interactions, testMovieIds: Int32Array, report: (done: number) => void): RatingAccumulator {
  const rating = new RatingAccumulator();
  for (let t = 0; t < test.users.size; t++) {
    const history = histories(test.users.ids[t]);
    for (let j = test.userPtr[t]; j < test.userPtr[t + 1]; j++) rating.add(test.userRatings[j], model.predict(history, testMovieIds[j]));
    if ((t + 1) % PROGRESS_EVERY === 0) report(t + 1);
  }
  return rating;
}

/** userId → their training history, as views over one array of raw movie ids (no copy per user). */
function historyIndex(train: Interactions): (userId: number) => UserHistory {
  const movieIds = rawIds(train.userItems, train.movies.ids);
  return (userId) => {
    const u = train.users.index(userId);
    if (u < 0) return emptyHistory(userId);
    const from = train.userPtr[u];
    const to = train.userPtr[u + 1];
    return { userId, movies: movieIds.subarray(from, to), ratings: train.userRatings.subarray(from, to) };
  };
}

function rawIds(dense: Int32Array, ids: Int32Array): Int32Array {
  const out = new Int32Array(dense.length);
  for (let i = 0; i < dense.length; i++) out[i] = ids[dense[i]];
  return out;
}

/** min(m, n) distinct indices of 0..n-1 drawn with the seed (partial Fisher–Yates), ascending. */
export function sampleIndices(n: number, m: number, seed: number): Int32Array {
  const take = Math.min(n, m);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  if (take < n) {
    const random = new Random(seed);
    for (let i = 0; i < take; i++) {
      const j = i + Math.floor(random.next() * (n - i));
      const x = perm[i];
      perm[i] = perm[j];
      perm[j] = x;
    }
  }
  return perm.slice(0, take).sort();
}

/**
 * The mean of each metric over folds, per model (in the first fold's order). Counts (`n`,
 * `users`) and `seconds` are summed; `folds` says how many folds a model appeared in.
 */
export function averageResults(resultsPerFold: EvaluationResult[][]): EvaluationResult[] {
  const byModel = new Map<string, EvaluationResult[]>();
  for (const fold of resultsPerFold) {
    for (const r of fold) {
      const list = byModel.get(r.model) ?? [];
      list.push(r);
      byModel.set(r.model, list);
    }
  }
  return [...byModel].map(([model, rs]) => {
    const mean = (get: (r: EvaluationResult) => number) => rs.reduce((s, r) => s + get(r), 0) / rs.length;
    const sum = (get: (r: EvaluationResult) => number) => rs.reduce((s, r) => s + get(r), 0);
    return {
      model,
      rating: {
        rmse: mean((r) => r.rating.rmse),
        mae: mean((r) => r.rating.mae),
        mse: mean((r) => r.rating.mse),
        r2: mean((r) => r.rating.r2),
        n: sum((r) => r.rating.n),
      },
      ranking: {
        precision: mean((r) => r.ranking.precision),
        recall: mean((r) => r.ranking.recall),
        ndcg: mean((r) => r.ranking.ndcg),
        map: mean((r) => r.ranking.map),
        hitRate: mean((r) => r.ranking.hitRate),
        coverage: mean((r) => r.ranking.coverage),
        users: sum((r) => r.ranking.users),
        k: rs[0].ranking.k,
      },
      seconds: sum((r) => r.seconds),
      ...(rs.every((r) => r.trainingSeconds !== undefined) ? { trainingSeconds: mean((r) => r.trainingSeconds as number) } : {}),
      folds: rs.length,
    };
  });
}

/** One table comparing the models, under a title line naming the protocol (split, seed, K, users). */
export function formatComparisonTable(results: EvaluationResult[], protocol: string): string {
  const k = results[0]?.ranking.k ?? 10;
  const metric = (get: (r: EvaluationResult) => number) => results.map((r) => fixed(get(r), 4));
  const columns: [string, (string | null)[]][] = [
    ['RMSE', metric((r) => r.rating.rmse)],
    ['MAE', metric((r) => r.rating.mae)],
    ['MSE', metric((r) => r.rating.mse)],
    ['R²', metric((r) => r.rating.r2)],
    [`P@${k}`, metric((r) => r.ranking.precision)],
    [`R@${k}`, metric((r) => r.ranking.recall)],
    [`NDCG@${k}`, metric((r) => r.ranking.ndcg)],
    [`MAP@${k}`, metric((r) => r.ranking.map)],
    [`HR@${k}`, metric((r) => r.ranking.hitRate)],
    ['coverage', metric((r) => r.ranking.coverage)],
    ['test ratings', results.map((r) => r.rating.n.toLocaleString('en-US'))],
    ['users', results.map((r) => r.ranking.users.toLocaleString('en-US'))],
    ['train s', results.map((r) => (r.trainingSeconds === undefined ? null : fixed(r.trainingSeconds, 1)))],
    ['eval s', results.map((r) => fixed(r.seconds, 1))],
  ];
  // formatTable left-aligns text: pad each column (header included) so the figures line up right.
  const widths = columns.map(([h, cells]) => Math.max(h.length, ...cells.map((c) => (c ?? '-').length)));
  const headers = ['model', ...columns.map(([h], i) => h.padStart(widths[i]))];
  const rows = results.map((r, row) => [r.model, ...columns.map(([, cells], i) => (cells[row] ?? '-').padStart(widths[i]))]);
  return `${protocol}\n${formatTable(headers, rows)}`;
}

/** The `--json` shape. */
export function evaluationReport(results: EvaluationResult[], protocol: string): EvaluationReport {
  return { protocol, k: results[0]?.ranking.k ?? 0, results };
}

function fixed(x: number, digits: number): string | null {
  return Number.isFinite(x) ? x.toFixed(digits) : null;
}
