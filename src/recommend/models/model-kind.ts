// What one model kind declares (one entry of the table in model-kinds.ts): how it is named,
// served, blended, parameterised, fitted and loaded. Only types: the families' code implements
// them, the table lists them, and training, loading, serving and the CLI read them.
import type { Catalogue } from '../../movies/catalogue.js';
import type { Genome, MovieTags } from '../data/content-features.js';
import type { Interactions } from '../data/interactions.js';
import type { RatingColumns } from '../data/ratings-parse.js';
import type { Recommender } from './recommender.js';

/** A model that can be written to a registry version directory. */
export type SavableModel = Recommender & { save(dir: string): string[] };

/** The rating rows a model is fitted on, with what content models read beside them. */
export interface FitSource {
  columns: RatingColumns;
  /** Rows to train on (all when absent): the rows the fit's matrix is built from. */
  rows?: Int32Array;
  catalogue: Catalogue;
  genome?: Genome;
  tags?: MovieTags;
}

export interface FitHooks {
  threads?: number;
  signal?: AbortSignal;
  /** Progress of one model's phase: `done` of `total` units. */
  onProgress?: (model: string, phase: string, done: number, total: number) => void;
}

/** What a kind's `fit` is given. */
export interface FitInput<P> {
  /** The matrix of the source rows (built on the first call; a blend may never need it). */
  matrix(): Interactions;
  source: FitSource;
  params: P;
  hooks: FitHooks;
  /** For a kind that blends (`blends`): the component models fitted on the same rows, in table order. */
  components: ReadonlyMap<string, Recommender>;
  /** The hybrid components whose `predict` models ratings (`predictsRatings`), in table order. */
  ratingComponents: readonly string[];
  /** The hybrid components by recommend preference (`preference`, most preferred first; kinds without one last). */
  rankingPreference: readonly string[];
  /** Fits another (component) kind on a matrix, e.g. on a validation split: `rows`, the source rows it is built from. */
  fitComponent(name: string, data: Interactions, hooks: FitHooks, rows: Int32Array): Promise<SavableModel>;
}

export interface Fitted {
  model: SavableModel;
  /** Figures of the fit worth keeping in the version's metadata (`metrics.training`). */
  training?: Record<string, unknown>;
}

/** What a kind's `load` is given (its artefact files are prefetched and verified already). */
export interface LoadInput {
  /** The registry version directory. */
  dir: string;
  /** For a kind that blends: the components its metadata names, loaded. */
  components: ReadonlyMap<string, Recommender>;
}

/**
 * A command-line flag setting one parameter. `parse` throws an Error whose message is one line
 * (the CLI shows it as commander's invalid-argument message).
 */
export interface ParamOption<P> {
  /** commander's flags, e.g. `--min-common <n>`; a flag several kinds declare sets each of them. */
  flag: string;
  key: keyof P & string;
  describe(defaults: P): string;
  parse(value: string): P[keyof P & string];
}

export interface ModelKind<P, Servable extends boolean = boolean> {
  /** A client may ask for it by name (`model=`); popularity is the fallback, not a choice. */
  servable: Servable;
  /**
   * Among servable kinds, the default model of `recommend` (and `similar`) is the loaded one with
   * the lowest preference: set by ranking quality (`streamrec evaluate --split stratified`).
   */
  preference?: number;
  /**
   * Its `predict` models ratings (false for a ranking-only model, which answers a baseline): the
   * hybrid blends the predictions of these components only.
   */
  predictsRatings: boolean;
  /**
   * Among servable kinds that predict ratings, the default model of `predict` is the loaded one
   * with the lowest rating preference: set by RMSE (`streamrec evaluate --cv 5`).
   */
  ratingPreference?: number;
  /** Blended by the kinds that blend (the hybrid), in table order. */
  hybridComponent: boolean;
  /** Blends the hybrid components: fitted after them, loaded with the versions its metadata names. */
  blends: boolean;
  /** Its `recommend` score is a predicted rating on its scale (no second `predict` per item). */
  scoreIsRating: boolean;
  /** Other spellings the CLI's `--models` accepts (lower case, without `-` or `_`). */
  aliases: readonly string[];
  defaults: Readonly<P>;
  options: readonly ParamOption<P>[];
  fit(input: FitInput<P>): Promise<Fitted>;
  /** Synchronous: it runs while the prefetched artefacts are provided (withArrayFiles). */
  load(input: LoadInput): Recommender;
}
