// What the item-item models (EASE, RP3beta, item-CF) hold and answer alike: a user is scored by
// summing item-item weights over the movies in their history, so the model keeps only the ids,
// the rating scale and the damped item biases beside its weights. Each model keeps its own weights,
// the kernel that sums them (recommend), similar, and its file's arrays.
import type { IdIndex, Interactions } from '../../data/interactions.js';
import { baselinePrediction, itemBiases } from '../baseline-predictor.js';
import { ratingScale, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';

export interface ItemItemState<P> {
  params: P;
  users: IdIndex;
  /** Every training movie (for the baseline's biases). */
  movies: IdIndex;
  globalMean: number;
  scale: { min: number; max: number };
  /** Damped item biases b_i of the baseline μ + b_u + b_i, by dense movie index. */
  itemBias: Float32Array;
}

/** The shared part of a model's state, from its training matrix. */
export function trainedState<P>(data: Interactions, params: P): ItemItemState<P> {
  return {
    params,
    users: data.users,
    movies: data.movies,
    globalMean: data.globalMean,
    scale: ratingScale(data.userRatings),
    itemBias: itemBiases(data),
  };
}

export abstract class ItemItemModel<S extends ItemItemState<unknown>> implements Recommender {
  abstract readonly name: string;
  readonly scale: { min: number; max: number };
  readonly params: S['params'];
  protected readonly s: S;

  constructor(state: S) {
    this.s = state;
    this.scale = state.scale;
    this.params = state.params;
  }

  knowsUser(userId: number): boolean {
    return this.s.users.index(userId) >= 0;
  }

  knowsMovie(movieId: number): boolean {
    return this.s.movies.index(movieId) >= 0;
  }

  /** The damped baseline μ + b_u + b_i: a model that ranks without modelling ratings answers it. */
  predict(user: UserHistory, movieId: number): number {
    const { s } = this;
    return baselinePrediction(user, movieId, s.movies, s.itemBias, s.globalMean, s.scale);
  }

  abstract recommend(user: UserHistory, n: number, options?: RecommendOptions): Scored[];
  abstract similar(movieId: number, n: number): Scored[];
  /** Writes the model's file into `dir`; returns the files written. */
  abstract save(dir: string): string[];
}
