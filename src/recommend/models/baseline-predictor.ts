// The damped baseline μ + b_u + b_i (Koren's baseline predictors), what a ranking-only model (EASE,
// the item graph) answers `predict` with: those models learn which movies a user watches, not how
// they rate them, and the contract wants a rating on the training scale from every model.
import type { Interactions } from '../data/interactions.js';
import type { IdIndex } from '../data/interactions.js';
import { clamp, type UserHistory } from './recommender.js';

/** Pseudo-ratings at the global mean a movie's and a user's bias are damped by. */
const ITEM_DAMPING = 25;
const USER_DAMPING = 10;

/** b_i = Σ(r − μ) / (n_i + 25) over each movie's training ratings, by dense movie index. */
export function itemBiases(data: Interactions): Float32Array {
  const bias = new Float32Array(data.movies.size);
  const mu = data.globalMean;
  for (let m = 0; m < bias.length; m++) {
    let sum = 0;
    for (let k = data.moviePtr[m]; k < data.moviePtr[m + 1]; k++) sum += data.movieRatings[k] - mu;
    bias[m] = sum / (data.moviePtr[m + 1] - data.moviePtr[m] + ITEM_DAMPING);
  }
  return bias;
}

/**
 * μ + b_u + b_i clamped to the scale, b_u = Σ(r − μ − b_j) / (n + 10) over the history given (so
 * fresh ratings count); a movie it does not know has b_i = 0.
 */
export function baselinePrediction(user: UserHistory, movieId: number, movies: IdIndex, bias: Float32Array, mu: number, scale: { min: number; max: number }): number {
  let residual = 0;
  const n = user.movies.length;
  for (let h = 0; h < n; h++) {
    const j = movies.index(user.movies[h]);
    residual += user.ratings[h] - mu - (j >= 0 ? bias[j] : 0);
  }
  const i = movies.index(movieId);
  return clamp(mu + residual / (n + USER_DAMPING) + (i >= 0 ? bias[i] : 0), scale);
}
