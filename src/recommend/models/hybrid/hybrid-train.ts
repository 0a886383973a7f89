// Fits a hybrid the honest way: its components are first trained on the rows left after holding
// out a share of each user's ratings (per user, as the ranking protocol does), the blend weights
// are fitted on the held-out share, and the weights are then applied to the components trained
// on all the rows (handed in by the caller). The rating blend takes the components that model
// ratings; the ranking fusion takes every component, and keeps a component only if it helps.
import { Random } from '../../../util/random.js';
import { buildInteractions, historiesOf } from '../../data/interactions.js';
import { stratifiedSplit } from '../../evaluate/splits.js';
import type { FitInput, Fitted } from '../model-kind.js';
import type { Recommender } from '../recommender.js';
import { fitRankingWeights, fitRatingByMeta, fitRatingWeights, metaFeature, rankingNdcg, type Fusion, type MetaFeature, type RankingCase, type RankingFit } from './hybrid-fit.js';
import { HybridModel, type HybridWeights } from './hybrid.js';

export interface HybridParams {
  /**
   * Share of each user's rows held out to fit the blend (default 0.1: on a validation split of
   * MovieLens-small's training side, 0.1 predicted ratings better than 0.2 and ranked the same).
   */
  validationFraction: number;
  /** Validation users whose top-k lists fit the ranking weights (default 2,000). */
  users: number;
  k: number;
  rrfK: number;
  depth: number;
  seed: number;
  /**
   * Users whose history holds fewer ratings than this are "new": their ranking weights are fitted
   * apart when at least 50 of them are among the validation users and that ranks them better
   * (0: one set of weights for everyone).
   */
  newUserRatings: number;
  /**
   * What the rating blend's weights move with (feature-weighted linear stacking: each weight is
   * a + Σ b_m·f_m): the size of the user's history, the movie's rating count — as the components'
   * reliability does. [] for one weight per component.
   */
  ratingMeta: MetaFeature[];
  /** A fusion replaces the best single component (or new users' weights the global ones) only when it gains this many standard errors on validation. */
  minGainSe: number;
}

export const DEFAULT_HYBRID_PARAMS: HybridParams = { validationFraction: 0.1, users: 2000, k: 10, rrfK: 60, depth: 3, seed: 7, newUserRatings: 20, minGainSe: 2, ratingMeta: ['history', 'movie'] };

/** Fewest validation users of a segment for weights of its own. */
const MIN_SEGMENT_USERS = 50;

export type HybridFitInput = Pick<FitInput<HybridParams>, 'source' | 'params' | 'hooks' | 'fitComponent' | 'ratingComponents' | 'rankingPreference'>;

export interface HybridValidation {
  ratings: number;
  users: number;
  /** NDCG@k of the fused lists on the validation users, and of each component's alone. */
  ndcg: number;
  componentNdcg: Partial<Record<string, number>>;
  fusion: Fusion;
  /** The fusion's mean NDCG gain over the best single component and its standard error; whether it was kept. */
  gain: number;
  gainSe: number;
  blended: boolean;
  newUsers: { users: number; ndcg: number; ownWeights: boolean };
}

/** The hybrid of `input.components` (fitted on all the rows) with weights fitted on a validation split. */
export async function fitHybrid(input: FitInput<HybridParams>): Promise<Fitted> {
  const weights = await fitHybridWeights(input, [...input.components.keys()]);
  return { model: new HybridModel(input.components, weights), training: { validation: weights.validation, weights: { rating: weights.rating, ranking: weights.ranking } } };
}

/**
 * Fits the blend weights of a hybrid of `components` on a validation split of the source rows,
 * training temporary components on the rest.
 */
export async function fitHybridWeights(input: HybridFitInput, components: readonly string[]): Promise<HybridWeights & { validation: HybridValidation }> {
  const { source, params: hp, hooks } = input;
  const all = source.rows ?? Int32Array.from({ length: source.columns.users.length }, (_, i) => i);
  const { train: fit, test: validation } = stratifiedSplit(source.columns, { testFraction: hp.validationFraction, seed: hp.seed, rows: all });
  const data = buildInteractions(source.columns, fit);
  const models = new Map<string, Recommender>();
  for (const name of components) {
    models.set(name, await input.fitComponent(name, data, { ...hooks, onProgress: (m, phase, d, t) => hooks.onProgress?.('hybrid', `${m} (validation fit) ${phase}`, d, t) }, fit));
  }
  const histories = historiesOf(data);
  const { columns } = source;

  // Rating blend: every validation rating, the components that model ratings.
  const raters = components.filter((name) => input.ratingComponents.includes(name));
  const names = raters.length > 0 ? raters : [...components];
  const predictions = names.map(() => new Float32Array(validation.length));
  const actual = new Float32Array(validation.length);
  const counts = { count: (movieId: number) => {
    const m = data.movies.index(movieId);
    return m < 0 ? 0 : data.moviePtr[m + 1] - data.moviePtr[m];
  } };
  const meta: Record<MetaFeature, Float32Array> = { history: new Float32Array(validation.length), movie: new Float32Array(validation.length) };
  // Rows of one user are usually adjacent (every MovieLens file is sorted by user): reuse their history.
  let history = histories(-1);
  for (let i = 0; i < validation.length; i++) {
    const row = validation[i];
    if (history.userId !== columns.users[row]) history = histories(columns.users[row]);
    actual[i] = columns.ratings[row];
    names.forEach((name, c) => (predictions[c][i] = (models.get(name) as Recommender).predict(history, columns.movies[row])));
    meta.history[i] = metaFeature('history', history, columns.movies[row], counts);
    meta.movie[i] = metaFeature('movie', history, columns.movies[row], counts);
    if (i % 20000 === 0) hooks.onProgress?.('hybrid', 'rating blend', i, validation.length);
  }
  const rating: HybridWeights['rating'] = hp.ratingMeta.length === 0 ? fitRatingWeights(names, predictions, actual) : fitRatingByMeta(names, predictions, actual, hp.ratingMeta.map((feature) => ({ feature, values: meta[feature] })));

  // Ranking fusion: a seeded sample of validation users, their held-out movies relevant.
  const relevantByUser = new Map<number, Set<number>>();
  for (const row of validation) {
    const user = columns.users[row];
    let set = relevantByUser.get(user);
    if (set === undefined) relevantByUser.set(user, (set = new Set()));
    set.add(columns.movies[row]);
  }
  const users = sample([...relevantByUser.keys()].sort((a, b) => a - b), hp.users, hp.seed);
  const depth = Math.max(50, hp.depth * hp.k);
  const rankers = [...components];
  const cases: RankingCase[] = [];
  users.forEach((user, i) => {
    const history = histories(user);
    const lists = rankers.map((name) => (models.get(name) as Recommender).recommend(history, depth));
    cases.push({
      lists: lists.map((list) => Int32Array.from(list, (s) => s.movieId)),
      scores: lists.map((list) => Float64Array.from(list, (s) => s.score)),
      relevant: relevantByUser.get(user) as Set<number>,
      historySize: history.movies.length,
    });
    if (i % 100 === 0) hooks.onProgress?.('hybrid', 'ranking blend', i, users.length);
  });
  // Which single component to fall back to: the table's preferred one unless another clearly ranks better here.
  const options = { k: hp.k, rrfK: hp.rrfK, minGainSe: hp.minGainSe, preference: input.rankingPreference };
  let fusion: Fusion = 'rrf';
  let ranking: RankingFit = fitRankingWeights(rankers, cases, { ...options, fusion });
  const byScore = fitRankingWeights(rankers, cases, { ...options, fusion: 'score' });
  if (byScore.ndcg > ranking.ndcg + 1e-9) {
    fusion = 'score';
    ranking = byScore;
  }
  // New users: weights of their own when there are enough of them and it ranks them better.
  const newCases = hp.newUserRatings > 0 ? cases.filter((c) => (c.historySize ?? 0) < hp.newUserRatings) : [];
  let newUsers: HybridWeights['ranking']['newUsers'];
  let newNdcg = 0;
  if (newCases.length >= MIN_SEGMENT_USERS) {
    const segment = fitRankingWeights(rankers, newCases, { ...options, fusion, start: ranking.weights });
    const global = rankingNdcg(rankers, newCases, ranking.weights, { ...options, fusion });
    newNdcg = segment.ndcg;
    // Its own weights when they beat the global ones there (the ascent's guard measured that gain).
    if (segment.blended && segment.ndcg > global + 1e-9) newUsers = { below: hp.newUserRatings, weights: segment.weights };
  }
  return {
    rating,
    ranking: { weights: ranking.weights, rrfK: hp.rrfK, depth: hp.depth, fusion, ...(newUsers !== undefined ? { newUsers } : {}) },
    validation: {
      ratings: validation.length,
      users: cases.length,
      ndcg: ranking.ndcg,
      componentNdcg: ranking.single,
      fusion,
      gain: ranking.gain,
      gainSe: ranking.gainSe,
      blended: ranking.blended,
      newUsers: { users: newCases.length, ndcg: newNdcg, ownWeights: newUsers !== undefined },
    },
  };
}

function sample(ids: number[], m: number, seed: number): number[] {
  if (ids.length <= m) return ids;
  const random = new Random(seed);
  const copy = ids.slice();
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random.next() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, m).sort((a, b) => a - b);
}
