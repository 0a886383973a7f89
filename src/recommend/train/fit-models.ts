// Fits models in memory on a set of rating rows: what `train` saves into the registry and what
// `evaluate` scores on each split. The hybrid is fitted the honest way: its components are first
// trained on 90 % of the rows, the blend weights are fitted on the other 10 %, and the weights
// are then applied to the components trained on all the rows.
import { Random } from '../../util/random.js';
import type { Catalogue } from '../../movies/catalogue.js';
import type { Genome, MovieTags } from '../data/content-features.js';
import { buildInteractions, type Interactions } from '../data/interactions.js';
import type { RatingColumns } from '../data/ratings-parse.js';
import { DEFAULT_ALS_PARAMS, type AlsParams } from '../models/als/als-train.js';
import { trainAls } from '../models/als/als-train.js';
import { DEFAULT_CONTENT_PARAMS, trainContent, type ContentParams } from '../models/content/content.js';
import { fitRankingWeights, fitRatingWeights, type RankingCase } from '../models/hybrid/hybrid-fit.js';
import { HybridModel, type HybridWeights } from '../models/hybrid/hybrid.js';
import { DEFAULT_ITEMCF_PARAMS, trainItemCf, type ItemCfParams } from '../models/item-cf/item-cf.js';
import { PopularityModel } from '../models/popularity/popularity.js';
import type { ModelName, Recommender, UserHistory } from '../models/recommender.js';

/** A model that can be written to a registry version directory. */
export type SavableModel = Recommender & { save(dir: string): string[] };

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

export interface TrainParams {
  als: AlsParams;
  itemcf: ItemCfParams;
  content: ContentParams;
  hybrid: HybridParams;
}

export const DEFAULT_TRAIN_PARAMS: TrainParams = {
  als: DEFAULT_ALS_PARAMS,
  itemcf: DEFAULT_ITEMCF_PARAMS,
  content: DEFAULT_CONTENT_PARAMS,
  hybrid: DEFAULT_HYBRID_PARAMS,
};

/** The components a hybrid blends, in this order. */
export const HYBRID_COMPONENTS: readonly ModelName[] = ['als', 'itemcf', 'content', 'popularity'];

export interface FitSource {
  columns: RatingColumns;
  /** Rows to train on (all when absent). */
  rows?: Int32Array;
  catalogue: Catalogue;
  genome?: Genome;
  tags?: MovieTags;
}

export interface FitHooks {
  threads?: number;
  signal?: AbortSignal;
  /** Progress of one model's phase: `done` of `total` units. */
  onProgress?: (model: ModelName, phase: string, done: number, total: number) => void;
}

/** Trains one non-hybrid model on a prepared matrix. */
export async function fitModel(name: Exclude<ModelName, 'hybrid'>, data: Interactions, source: FitSource, params: TrainParams, hooks: FitHooks = {}): Promise<SavableModel> {
  const report = hooks.onProgress;
  switch (name) {
    case 'als':
      return trainAls(data, params.als, {
        threads: hooks.threads,
        signal: hooks.signal,
        onProgress: (p) => report?.('als', `iteration ${p.iteration}/${p.iterations} ${p.phase}`, (p.iteration - 1) * 2 * p.total + (p.phase === 'users' ? 0 : p.total) + p.done, p.iterations * 2 * p.total),
      });
    case 'itemcf':
      return trainItemCf(data, params.itemcf, { threads: hooks.threads, signal: hooks.signal, onProgress: (done, total) => report?.('itemcf', 'similarities', done, total) });
    case 'content':
      report?.('content', 'features', 0, 1);
      return trainContent({ data, catalogue: source.catalogue, genome: source.genome, tags: source.tags }, params.content);
    case 'popularity':
      return PopularityModel.train(data, source.catalogue);
  }
}

/**
 * Fits the blend weights of a hybrid of `components` on a validation split of the source rows,
 * training temporary components on the rest.
 */
export async function fitHybridWeights(source: FitSource, components: readonly Exclude<ModelName, 'hybrid'>[], params: TrainParams, hooks: FitHooks = {}): Promise<HybridWeights & { validation: { ratings: number; users: number; ndcg: number } }> {
  const hp = params.hybrid;
  const all = source.rows ?? Int32Array.from({ length: source.columns.users.length }, (_, i) => i);
  const { fit, validation } = holdOut(all, hp.validationFraction, hp.seed);
  const data = buildInteractions(source.columns, fit);
  const models = new Map<ModelName, Recommender>();
  for (const name of components) {
    models.set(name, await fitModel(name, data, source, params, { ...hooks, onProgress: (m, phase, d, t) => hooks.onProgress?.('hybrid', `${m} (validation fit) ${phase}`, d, t) }));
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

/** Trains every requested model on the source rows, the hybrid last (it blends the others). */
export async function fitModels(source: FitSource, names: readonly ModelName[], params: TrainParams, hooks: FitHooks = {}): Promise<Map<ModelName, Recommender>> {
  const data = buildInteractions(source.columns, source.rows);
  const wanted = new Set(names);
  const components = HYBRID_COMPONENTS.filter((n) => n !== 'hybrid') as Exclude<ModelName, 'hybrid'>[];
  const toFit = new Set<Exclude<ModelName, 'hybrid'>>(components.filter((n) => wanted.has(n) || wanted.has('hybrid')));
  const models = new Map<ModelName, Recommender>();
  for (const name of components) if (toFit.has(name)) models.set(name, await fitModel(name, data, source, params, hooks));
  if (wanted.has('hybrid')) {
    const weights = await fitHybridWeights(source, components, params, hooks);
    models.set('hybrid', new HybridModel(new Map(components.map((n) => [n, models.get(n) as Recommender])), weights));
  }
  for (const name of [...models.keys()]) if (!wanted.has(name)) models.delete(name);
  return models;
}

/** Each user's history in a matrix, by raw user id (empty for a user it does not hold). */
export function historiesOf(data: Interactions): (userId: number) => UserHistory {
  return (userId) => {
    const u = data.users.index(userId);
    if (u < 0) return { userId, movies: new Int32Array(0), ratings: new Float32Array(0) };
    const from = data.userPtr[u];
    const to = data.userPtr[u + 1];
    const movies = new Int32Array(to - from);
    for (let k = from; k < to; k++) movies[k - from] = data.movies.ids[data.userItems[k]];
    return { userId, movies, ratings: data.userRatings.slice(from, to) };
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
