// The implicit-ALS objective of factors on a training matrix, in double precision:
//   Σ_all c_ui (p_ui − x_u·y_i)² + λ (Σ|x_u|² + Σ|y_i|²)
// over every (user, movie) pair, computed without visiting the zero pairs: with s = x·y,
//   Σ_all s² = Σ_u x_uᵀ (YᵀY) x_u, and each rated pair adds c (1 − s)² − s² = c − 2cs + (c − 1) s².
// A diagnostic (training reports it when asked; the tests check it falls): O(ratings·rank).
import type { Interactions } from '../../data/interactions.js';
import { confidenceWeight, type IalsParams } from './ials-params.js';

/**
 * The objective of user and movie factor rows (row-major, `stride` ≥ rank floats a row, in the
 * matrix's dense index order) on `data`.
 */
export function ialsObjective(data: Interactions, users: Float32Array, movies: Float32Array, rank: number, stride: number, p: Pick<IalsParams, 'alpha' | 'lambda' | 'confidence' | 'epsilon'>): number {
  const k = rank;
  const nUsers = data.users.size;
  const nMovies = data.movies.size;
  const yty = new Float64Array(k * k);
  let regular = 0;
  for (let m = 0; m < nMovies; m++) {
    const off = m * stride;
    for (let i = 0; i < k; i++) {
      const yi = movies[off + i];
      regular += yi * yi;
      for (let j = 0; j < k; j++) yty[i * k + j] += yi * movies[off + j];
    }
  }
  let loss = 0;
  for (let u = 0; u < nUsers; u++) {
    const xo = u * stride;
    let quad = 0;
    for (let i = 0; i < k; i++) {
      const xi = users[xo + i];
      regular += xi * xi;
      let row = 0;
      for (let j = 0; j < k; j++) row += yty[i * k + j] * users[xo + j];
      quad += xi * row;
    }
    loss += quad;
    for (let e = data.userPtr[u]; e < data.userPtr[u + 1]; e++) {
      const yo = data.userItems[e] * stride;
      let s = 0;
      for (let i = 0; i < k; i++) s += users[xo + i] * movies[yo + i];
      const c = 1 + confidenceWeight(data.userRatings[e], p);
      loss += c - 2 * c * s + (c - 1) * s * s;
    }
  }
  return loss + p.lambda * regular;
}
