// Fits EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): with X the
// binary users × movies matrix (any rating counts as a watch), the item-item weights minimising
// ‖X − X·B‖² + λ‖B‖² with diag(B) = 0 are, in closed form, B = I − P·diag(1/diag(P)) with
// P = (XᵀX + λI)⁻¹ — one dense inverse (spd-inverse.ts), no iterations, no seed.
//
// The inverse is dense in the number of movies covered, n: n² doubles of memory and ~n³/2
// multiply-adds. So EASE covers the `maxItems` most-rated movies only (ties by id); a movie beyond
// them is never recommended by EASE and does not count in a user's history for it — the hybrid's
// other components and the popularity fallback still reach it.
import type { Interactions } from '../../data/interactions.js';
import { IdIndex } from '../../data/interactions.js';
import { trainedState } from '../item-item/item-item-model.js';
import { validateEaseParams, type EaseParams } from './ease-params.js';
import { EaseModel } from './ease.js';
import { invertSpd, NotPositiveDefiniteError } from './spd-inverse.js';

export interface EaseTrainOptions {
  onProgress?: (phase: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

/** The dense indices of the `max` most-rated movies (ties: lower id first), ascending. */
export function mostRated(data: Interactions, max: number): Int32Array {
  const m = data.movies.size;
  const order = Int32Array.from({ length: m }, (_, i) => i);
  const count = (i: number) => data.moviePtr[i + 1] - data.moviePtr[i];
  order.sort((a, b) => count(b) - count(a) || a - b);
  return order.slice(0, Math.min(max, m)).sort();
}

export function trainEase(data: Interactions, params: Partial<EaseParams> = {}, options: EaseTrainOptions = {}): EaseModel {
  const p = validateEaseParams(params);
  options.signal?.throwIfAborted();
  const covered = mostRated(data, p.maxItems);
  const n = covered.length;
  // Dense movie index → covered index (-1 outside). Dense indices ascend with ids, so the covered
  // ids come out sorted, as IdIndex wants.
  const slot = new Int32Array(data.movies.size).fill(-1);
  covered.forEach((m, i) => (slot[m] = i));
  const items = new IdIndex(Int32Array.from(covered, (m) => data.movies.ids[m]));

  // XᵀX, lower triangle: each user adds 1 for every pair of covered movies they rated.
  const g = new Float64Array(n * n);
  const list = new Int32Array(n);
  for (let u = 0; u < data.users.size; u++) {
    let h = 0;
    for (let k = data.userPtr[u]; k < data.userPtr[u + 1]; k++) {
      const s = slot[data.userItems[k]];
      if (s >= 0) list[h++] = s;
    }
    for (let a = 0; a < h; a++) {
      const row = list[a] * n;
      for (let b = 0; b <= a; b++) g[row + list[b]] += 1;
    }
    if (u % 4096 === 0) options.onProgress?.('co-occurrence', u, data.users.size);
  }
  for (let i = 0; i < n; i++) g[i * n + i] += p.lambda;
  options.signal?.throwIfAborted();

  try {
    invertSpd(g, n, (done, total) => options.onProgress?.('inverse', done, total));
  } catch (err) {
    // λ > 0 makes XᵀX + λI positive definite; failing means λ is lost in rounding.
    if (err instanceof NotPositiveDefiniteError) throw new Error(`EASE: XᵀX + λI is not positive definite in floating point (λ ${p.lambda} too small for this data?)`, { cause: err });
    throw err;
  }
  options.signal?.throwIfAborted();

  // B[i][j] = −P[i][j] / P[j][j], diagonal 0: row i is what movie i in a history adds to each movie.
  const diag = new Float64Array(n);
  for (let j = 0; j < n; j++) diag[j] = g[j * n + j];
  const weights = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) weights[row + j] = i === j ? 0 : -g[row + j] / diag[j];
  }
  return new EaseModel({ ...trainedState(data, p), items, precisionDiag: diag, weights });
}
