// Fits models in memory on a set of rating rows: what `train` saves into the registry and what
// `evaluate` scores on each split. Every kind fits through its entry in the model-kinds table; a
// kind that blends (the hybrid) is fitted last, on the components fitted here.
import { buildInteractions, type Interactions } from '../data/interactions.js';
import type { FitHooks, FitSource, Fitted, SavableModel } from '../models/model-kind.js';
import { fitOrder, HYBRID_COMPONENTS, modelKind, RANKING_PREFERENCE, RATING_COMPONENTS, type ModelName, type TrainParams } from '../models/model-kinds.js';
import type { Recommender } from '../models/recommender.js';

export { DEFAULT_TRAIN_PARAMS, type TrainParams } from '../models/model-kinds.js';

/**
 * Fits one kind on a prepared matrix. A kind that blends gets `components`: the component models
 * fitted on the same rows (it fits its own weights on a split of the source rows).
 */
export async function fitKind(name: ModelName, matrix: () => Interactions, source: FitSource, params: TrainParams, hooks: FitHooks = {}, components: ReadonlyMap<string, Recommender> = new Map()): Promise<Fitted> {
  // A component fitted on other rows (a validation split) sees those rows as its source's.
  const fitComponent = async (component: string, data: Interactions, componentHooks: FitHooks, rows: Int32Array): Promise<SavableModel> =>
    (await fitKind(component as ModelName, () => data, { ...source, rows }, params, componentHooks)).model;
  return modelKind(name).fit({ matrix, source, params: params[name], hooks, components, ratingComponents: RATING_COMPONENTS, rankingPreference: RANKING_PREFERENCE, fitComponent });
}

/** Trains one kind that blends nothing on a prepared matrix. */
export async function fitModel(name: ModelName, data: Interactions, source: FitSource, params: TrainParams, hooks: FitHooks = {}): Promise<SavableModel> {
  return (await fitKind(name, () => data, source, params, hooks)).model;
}

/** Models fitted by fitModels, with each one's fitting time. */
export interface FittedSet {
  models: Map<ModelName, Recommender>;
  /**
   * Wall seconds of each model's own fit: a blending kind's counts its validation fits and its
   * weights, not the components it was handed.
   */
  seconds: Map<ModelName, number>;
}

/** Trains every requested model on the source rows, the blending ones last (on the others). */
export async function fitModels(source: FitSource, names: readonly ModelName[], params: TrainParams, hooks: FitHooks = {}): Promise<FittedSet> {
  const data = buildInteractions(source.columns, source.rows);
  const wanted = new Set(names);
  const { base, blending } = fitOrder(names);
  const models = new Map<ModelName, Recommender>();
  const seconds = new Map<ModelName, number>();
  const timed = async (name: ModelName, fit: () => Promise<Recommender>) => {
    const started = performance.now();
    models.set(name, await fit());
    seconds.set(name, (performance.now() - started) / 1000);
  };
  for (const name of base) await timed(name, () => fitModel(name, data, source, params, hooks));
  const components = new Map(HYBRID_COMPONENTS.map((n) => [n as string, models.get(n) as Recommender]));
  for (const name of blending) await timed(name, async () => (await fitKind(name, () => data, source, params, hooks, components)).model);
  for (const name of [...models.keys()]) {
    if (wanted.has(name)) continue;
    models.delete(name);
    seconds.delete(name);
  }
  return { models, seconds };
}
