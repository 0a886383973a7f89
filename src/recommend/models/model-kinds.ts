// The one table of model kinds. Training (train/), loading (load-model.ts), serving (serving/),
// the routes' `model` parameter and the CLI's `--models` and parameter flags all read it.
//
// To add a model kind:
//   1. Write it in its own folder, `models/<kind>/`: a class implementing `Recommender`
//      (recommender.ts) with `save(dir)` and a static `load(dir)`, a train function, and its
//      parameters type with defaults.
//   2. Add one entry to MODEL_KINDS below (typed `ModelKind<YourParams, servable>`): whether it is
//      servable (and its preference as the default model for recommend, and for predict when it
//      models ratings), a hybrid component, whether its predict models ratings, its defaults, its
//      command-line flags, `fit` and `load`. Nothing else changes: registry, training, evaluation,
//      serving, routes and CLI pick it up from here. A new hybrid component joins the hybrid's
//      ranking fusion (and, when it predicts ratings, its rating blend) at the next `train`; the
//      fit gives it weight only if it ranks the validation users better.
//
// The default preferences follow `streamrec evaluate` on MovieLens (README, "Evaluation"): the
// hybrid ranks at least as well as its best part and predicts ratings best, so it is the default
// of both; without it, recommend falls to EASE, then iALS, then RP3beta, and predict to ALS.
// iALS's entry lives in its folder (ials/ials-kind.ts).
import { trainAls, DEFAULT_ALS_PARAMS, type AlsParams } from './als/als-train.js';
import { DEFAULT_EASE_PARAMS, type EaseParams } from './ease/ease-params.js';
import { trainEase } from './ease/ease-train.js';
import { EaseModel } from './ease/ease.js';
import { DEFAULT_ITEM_GRAPH_PARAMS, type ItemGraphParams } from './item-graph/item-graph-params.js';
import { trainItemGraph } from './item-graph/item-graph-train.js';
import { ItemGraphModel } from './item-graph/item-graph.js';
import { ials } from './ials/ials-kind.js';
import { AlsModel } from './als/als.js';
import { ContentModel, DEFAULT_CONTENT_PARAMS, trainContent, type ContentParams } from './content/content.js';
import { fitHybrid, DEFAULT_HYBRID_PARAMS, type HybridParams } from './hybrid/hybrid-train.js';
import { HybridModel } from './hybrid/hybrid.js';
import { DEFAULT_ITEMCF_PARAMS, ItemCfModel, trainItemCf, type ItemCfParams } from './item-cf/item-cf.js';
import type { ModelKind } from './model-kind.js';
import { nonNegativeNumber, oneOf, positiveInt, positiveNumber } from '../../util/text-parsers.js';
import { PopularityModel, type PopularityParams } from './popularity/popularity.js';

const als: ModelKind<AlsParams, true> = {
  servable: true,
  preference: 6,
  predictsRatings: true,
  ratingPreference: 2,
  hybridComponent: true,
  blends: false,
  scoreIsRating: true,
  aliases: [],
  defaults: DEFAULT_ALS_PARAMS,
  options: [
    { flag: '--rank <n>', key: 'rank', describe: (d) => `ALS latent factors (default ${d.rank})`, parse: positiveInt },
    { flag: '--iterations <n>', key: 'iterations', describe: (d) => `ALS iterations (default ${d.iterations})`, parse: positiveInt },
    { flag: '--lambda <x>', key: 'lambda', describe: (d) => `ALS regularisation, weighted by each row's count (default ${d.lambda})`, parse: positiveNumber },
    { flag: '--seed <n>', key: 'seed', describe: (d) => `random seed for initialisation and splits (default ${d.seed})`, parse: positiveInt },
  ],
  fit: async ({ matrix, params, hooks }) => ({
    model: await trainAls(matrix(), params, {
      threads: hooks.threads,
      signal: hooks.signal,
      onProgress: (p) => hooks.onProgress?.('als', `iteration ${p.iteration}/${p.iterations} ${p.phase}`, (p.iteration - 1) * 2 * p.total + (p.phase === 'users' ? 0 : p.total) + p.done, p.iterations * 2 * p.total),
    }),
  }),
  load: ({ dir }) => AlsModel.load(dir),
};

const itemcf: ModelKind<ItemCfParams, true> = {
  servable: true,
  preference: 5,
  predictsRatings: true,
  ratingPreference: 3,
  hybridComponent: true,
  blends: false,
  scoreIsRating: false,
  aliases: [],
  defaults: DEFAULT_ITEMCF_PARAMS,
  options: [
    { flag: '--neighbours <n>', key: 'neighbours', describe: (d) => `item-CF neighbours kept per movie (default ${d.neighbours})`, parse: positiveInt },
    { flag: '--min-common <n>', key: 'minCommonUsers', describe: (d) => `item-CF: fewest common users for a similarity (default ${d.minCommonUsers})`, parse: positiveInt },
    { flag: '--shrinkage <x>', key: 'shrinkage', describe: (d) => `item-CF similarity shrinkage (default ${d.shrinkage})`, parse: nonNegativeNumber },
    { flag: '--similarity <kind>', key: 'similarity', describe: (d) => `item-CF: cosine or adjusted-cosine (default ${d.similarity})`, parse: oneOf(['cosine', 'adjusted-cosine'] as const) },
  ],
  fit: async ({ matrix, params, hooks }) => ({
    model: await trainItemCf(matrix(), params, { threads: hooks.threads, signal: hooks.signal, onProgress: (done, total) => hooks.onProgress?.('itemcf', 'similarities', done, total) }),
  }),
  load: ({ dir }) => ItemCfModel.load(dir),
};

const content: ModelKind<ContentParams, true> = {
  servable: true,
  preference: 7,
  predictsRatings: true,
  ratingPreference: 4,
  hybridComponent: true,
  blends: false,
  scoreIsRating: false,
  aliases: ['contentbased'],
  defaults: DEFAULT_CONTENT_PARAMS,
  options: [],
  fit: async ({ matrix, source, params, hooks }) => {
    hooks.onProgress?.('content', 'features', 0, 1);
    return { model: trainContent({ data: matrix(), catalogue: source.catalogue, genome: source.genome, tags: source.tags }, params) };
  },
  load: ({ dir }) => ContentModel.load(dir),
};

const ease: ModelKind<EaseParams, true> = {
  servable: true,
  preference: 2,
  predictsRatings: false,
  hybridComponent: true,
  blends: false,
  scoreIsRating: false,
  aliases: [],
  defaults: DEFAULT_EASE_PARAMS,
  options: [
    { flag: '--ease-lambda <x>', key: 'lambda', describe: (d) => `EASE: λ on the diagonal of XᵀX (default ${d.lambda})`, parse: positiveNumber },
    { flag: '--ease-max-items <n>', key: 'maxItems', describe: (d) => `EASE: the most-rated movies it covers; the rest it never recommends (default ${d.maxItems})`, parse: positiveInt },
  ],
  fit: async ({ matrix, params, hooks }) => ({
    model: trainEase(matrix(), params, { signal: hooks.signal, onProgress: (phase, done, total) => hooks.onProgress?.('ease', phase, done, total) }),
  }),
  load: ({ dir }) => EaseModel.load(dir),
};

const rp3beta: ModelKind<ItemGraphParams, true> = {
  servable: true,
  preference: 4,
  predictsRatings: false,
  hybridComponent: true,
  blends: false,
  scoreIsRating: false,
  aliases: ['rp3', 'itemgraph'],
  defaults: DEFAULT_ITEM_GRAPH_PARAMS,
  options: [
    { flag: '--rp3-alpha <x>', key: 'alpha', describe: (d) => `RP3beta: the power of each step's probability (default ${d.alpha})`, parse: positiveNumber },
    { flag: '--rp3-beta <x>', key: 'beta', describe: (d) => `RP3beta: the popularity penalty's power (default ${d.beta})`, parse: nonNegativeNumber },
    { flag: '--rp3-neighbours <n>', key: 'neighbours', describe: (d) => `RP3beta: neighbours kept per movie (default ${d.neighbours})`, parse: positiveInt },
  ],
  fit: async ({ matrix, params, hooks }) => ({
    model: await trainItemGraph(matrix(), params, { threads: hooks.threads, signal: hooks.signal, onProgress: (done, total) => hooks.onProgress?.('rp3beta', 'walks', done, total) }),
  }),
  load: ({ dir }) => ItemGraphModel.load(dir),
};

const hybrid: ModelKind<HybridParams, true> = {
  servable: true,
  preference: 1,
  predictsRatings: true,
  ratingPreference: 1,
  hybridComponent: false,
  blends: true,
  scoreIsRating: false,
  aliases: [],
  defaults: DEFAULT_HYBRID_PARAMS,
  // `--seed` is ALS's flag too: one seed for the run.
  options: [{ flag: '--seed <n>', key: 'seed', describe: (d) => `random seed for initialisation and splits (default ${d.seed})`, parse: positiveInt }],
  fit: fitHybrid,
  load: ({ dir, components }) => new HybridModel(components, HybridModel.loadWeights(dir)),
};

const popularity: ModelKind<PopularityParams, false> = {
  servable: false,
  predictsRatings: true,
  hybridComponent: true,
  blends: false,
  scoreIsRating: false,
  aliases: ['popular'],
  defaults: {},
  options: [
    { flag: '--popularity-half-life <days>', key: 'halfLifeDays', describe: () => 'popularity: count each rating 2^(−age/days), the newest weighing 1 (default: plain counts)', parse: nonNegativeNumber },
  ],
  fit: async ({ matrix, source, params }) => ({ model: PopularityModel.train(matrix(), source.catalogue, params, source) }),
  load: ({ dir }) => PopularityModel.load(dir),
};

/** Every model kind; this order is the registry's listing order and the hybrid's component order. */
export const MODEL_KINDS = { als, itemcf, content, ease, ials, rp3beta, hybrid, popularity } as const;

type Kinds = typeof MODEL_KINDS;
export type ModelName = keyof Kinds;
/** The parameters of a kind. */
export type ParamsOf<K extends ModelName> = Kinds[K] extends ModelKind<infer P, boolean> ? P : never;
/** The kinds a client may ask for by name. */
export type ServingModelName = { [K in ModelName]: Kinds[K] extends { servable: true } ? K : never }[ModelName];
/** Every kind's parameters, by kind. */
export type TrainParams = { [K in ModelName]: ParamsOf<K> };

export const MODEL_NAMES = Object.keys(MODEL_KINDS) as ModelName[];

/** The kind of a name (typed loosely: for code that walks every kind). */
export function modelKind(name: ModelName): ModelKind<unknown> {
  return MODEL_KINDS[name] as unknown as ModelKind<unknown>;
}

/** The components a hybrid blends, in this order. */
export const HYBRID_COMPONENTS = MODEL_NAMES.filter((n) => modelKind(n).hybridComponent);

/** The kinds that blend others (fitted and loaded after their components). */
export const BLENDING_MODELS = MODEL_NAMES.filter((n) => modelKind(n).blends);

/** The hybrid components whose predict models ratings: what the hybrid's rating blend takes. */
export const RATING_COMPONENTS = HYBRID_COMPONENTS.filter((n) => modelKind(n).predictsRatings);

/** The hybrid components by recommend preference: the order the hybrid trusts when validation cannot tell them apart. */
export const RANKING_PREFERENCE = [...HYBRID_COMPONENTS].sort((a, b) => (modelKind(a).preference ?? Infinity) - (modelKind(b).preference ?? Infinity));

/** The servable kinds, in preference order of the default model (recommend, similar). */
export const SERVING_MODELS = (MODEL_NAMES.filter((n) => modelKind(n).servable) as ServingModelName[]).sort((a, b) => (modelKind(a).preference ?? Infinity) - (modelKind(b).preference ?? Infinity));

/** The servable kinds that predict ratings, in preference order of the default model for predict. */
export const RATING_SERVING_MODELS = SERVING_MODELS.filter((n) => modelKind(n).predictsRatings).sort((a, b) => (modelKind(a).ratingPreference ?? Infinity) - (modelKind(b).ratingPreference ?? Infinity));

/** Components before the kinds that blend them: the order models are loaded and trained in. */
export const LOAD_ORDER: readonly ModelName[] = [...MODEL_NAMES.filter((n) => !modelKind(n).blends), ...BLENDING_MODELS];

/**
 * The kinds to fit for a request, in order: every hybrid component when a blending kind is asked
 * for (it needs them all), the other kinds asked for, then the blending kinds (fitted on the rest).
 */
export function fitOrder(requested: readonly ModelName[]): { base: ModelName[]; blending: ModelName[] } {
  const wanted = new Set(requested);
  const blending = BLENDING_MODELS.filter((m) => wanted.has(m));
  const base = HYBRID_COMPONENTS.filter((m) => wanted.has(m) || blending.length > 0);
  for (const m of requested) if (!base.includes(m) && !blending.includes(m)) base.push(m);
  return { base, blending };
}

/** Every kind's defaults. */
export const DEFAULT_TRAIN_PARAMS = Object.fromEntries(MODEL_NAMES.map((n) => [n, modelKind(n).defaults])) as TrainParams;
