// Fits a hybrid the honest way: its components are first trained on 90 % of the rows, the blend
// weights are fitted on the other 10 %, and the weights are then applied to the components
// trained on all the rows (handed in by the caller).
import { Random } from '../../../util/random.js';
import { buildInteractions, historiesOf } from '../../data/interactions.js';
import type { FitInput, Fitted } from '../model-kind.js';
import type { Recommender } from '../recommender.js';
import { fitRankingWeights, fitRatingWeights, type RankingCase } from './hybrid-fit.js';
import { HybridModel, type HybridWeights } from './hybrid.js';

export interface HybridParams {
  /** Share of the rows held out to fit the blend (default 0.1). */
  validationFraction: number;
  /** Validation users whose top-k lists fit the ranking weights (default 2,000). */
  users: number;
  k: number;
  rrfK: number;
  depth: number;
  seed: number;
}

export const DEFAULT_HYBRID_PARAMS: HybridParams = { validationFraction: 0.1, users: 2000, k: 10, rrfK: 60, depth: 3, seed: 7 };

export type HybridFitInput = Pick<FitInput<HybridParams>, 'source' | 'params' | 'hooks' | 'fitComponent'>;

/** The hybrid of `input.components` (fitted on all the rows) with weights fitted on a validation split. */
export async function fitHybrid(input: FitInput<HybridParams>): Promise<Fitted> {
  const weights = await fitHybridWeights(input, [...input.components.keys()]);
  return { model: new HybridModel(input.components, weights), training: { validation: weights.validation } };
}

/**
 * Fits the blend weights of a hybrid of `components` on a validation split of the source rows,
 * training temporary components on the rest.
 */
export async function fitHybridWeights(input: HybridFitInput, components: readonly string[]): Promise<HybridWeights & { validation: { ratings: number; users: number; ndcg: number } }> {
  const { source, params: hp, hooks } = input;
  const all = source.rows ?? Int32Array.from({ length: source.columns.users.length }, (_, i) => i);
  const { fit, validation } = holdOut(all, hp.validationFraction, hp.seed);
  const data = buildInteractions(source.columns, fit);
  const models = new Map<string, Recommender>();
  for (const name of components) {
    models.set(name, await input.fitComponent(name, data, { ...hooks, onProgress: (m, phase, d, t) => hooks.onProgress?.('hybrid', `${m} (validation fit) ${phase}`, d, t) }));
  }
  const histories = historiesOf(data);
  const { columns } = source;

  // Rating blend: every validation rating.
  const names = [...models.keys()];
  const predictions = names.map(() => new Float32Array(validation.length));
  const actual = new Float32Array(validation.length);
  // Rows of one user are usually adjacent (every MovieLens file is sorted by user): reuse their history.
  let history = histories(-1);
  for (let i = 0; i < validation.length; i++) {
    const row = validation[i];
    if (history.userId !== columns.users[row]) history = histories(columns.users[row]);
    actual[i] = columns.ratings[row];
    names.forEach((name, c) => (predictions[c][i] = (models.get(name) as Recommender).predict(history, columns.movies[row])));
    if (i % 20000 === 0) hooks.onProgress?.('hybrid', 'rating blend', i, validation.length);
  }
  const rating = fitRatingWeights(names, predictions, actual);

  // Ranking blend: a seeded sample of validation users, their held-out movies relevant.
  const relevantByUser = new Map<number, Set<number>>();
  for (const row of validation) {
    const user = columns.users[row];
    let set = relevantByUser.get(user);
    if (set === undefined) relevantByUser.set(user, (set = new Set()));
    set.add(columns.movies[row]);
  }
  const users = sample([...relevantByUser.keys()].sort((a, b) => a - b), hp.users, hp.seed);
  const depth = Math.max(50, hp.depth * hp.k);
  const cases: RankingCase[] = [];
  users.forEach((user, i) => {
    const history = histories(user);
    cases.push({ lists: names.map((name) => Int32Array.from((models.get(name) as Recommender).recommend(history, depth), (s) => s.movieId)), relevant: relevantByUser.get(user) as Set<number> });
    if (i % 100 === 0) hooks.onProgress?.('hybrid', 'ranking blend', i, users.length);
  });
  const ranking = fitRankingWeights(names, cases, { k: hp.k, rrfK: hp.rrfK });
  return {
    rating,
    ranking: { weights: ranking.weights, rrfK: hp.rrfK, depth: hp.depth },
    validation: { ratings: validation.length, users: cases.length, ndcg: ranking.ndcg },
  };
}

/** A seeded random hold-out of `fraction` of the rows (both sides in ascending order). */
export function holdOut(rows: Int32Array, fraction: number, seed: number): { fit: Int32Array; validation: Int32Array } {
  const random = new Random(seed);
  const mark = new Uint8Array(rows.length);
  let held = 0;
  for (let i = 0; i < rows.length; i++) {
    if (random.next() < fraction) {
      mark[i] = 1;
      held++;
    }
  }
  const fit = new Int32Array(rows.length - held);
  const validation = new Int32Array(held);
  let f = 0;
  let v = 0;
  for (let i = 0; i < rows.length; i++) {
    if (mark[i] === 1) validation[v++] = rows[i];
    else fit[f++] = rows[i];
  }
  return { fit, validation };
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
