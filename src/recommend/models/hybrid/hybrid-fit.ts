// Fitting the hybrid's weights on a validation split (pure functions: predictions and lists in,
// weights out). Rating weights: ordinary least squares with an intercept and a small ridge, so
// collinear components (they all predict ratings) stay stable. Ranking weights: a grid search over
// the simplex maximising NDCG@k of the fused lists on validation users.
import { cholesky, choleskySolve } from '../linalg.js';

export interface RatingBlend {
  intercept: number;
  weights: Partial<Record<string, number>>;
}

/**
 * Least squares of `actual` on the components' predictions (each array parallel to `actual`).
 * `ridge` is added to the diagonal (not the intercept's) relative to the number of rows.
 */
export function fitRatingWeights(names: string[], predictions: Float32Array[], actual: Float32Array, ridge = 1e-4): RatingBlend {
  const p = names.length;
  const dim = p + 1;
  const m = actual.length;
  if (m === 0) throw new Error('fitRatingWeights: no validation ratings');
  // Normal equations over [1, x_1 … x_p].
  const ata = new Float64Array(dim * dim);
  const atb = new Float64Array(dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < m; i++) {
    row[0] = 1;
    for (let c = 0; c < p; c++) row[c + 1] = predictions[c][i];
    const y = actual[i];
    for (let a = 0; a < dim; a++) {
      atb[a] += row[a] * y;
      for (let b = a; b < dim; b++) ata[a * dim + b] += row[a] * row[b];
    }
  }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) ata[a * dim + b] = ata[b * dim + a];
  for (let a = 1; a < dim; a++) ata[a * dim + a] += ridge * m;
  // The normal matrix is symmetric positive definite (a Gram matrix plus the ridge): Cholesky.
  if (!cholesky(ata, dim)) throw new Error('fitRatingWeights: the normal equations are singular (a component predicts a constant?)');
  const x = atb;
  choleskySolve(ata, dim, x);
  const weights: Partial<Record<string, number>> = {};
  names.forEach((name, c) => (weights[name] = x[c + 1]));
  return { intercept: x[0], weights };
}

/** One validation user's component lists (best first) and their held-out movies. */
export interface RankingCase {
  lists: Int32Array[];
  relevant: ReadonlySet<number>;
}

/**
 * Grid search over weights on the simplex (steps of `step`) for the fusion score
 * Σ_c w_c / (rrfK + rank_c), maximising mean NDCG@k. Ties between weight vectors keep the first
 * found, so the result is deterministic.
 */
export function fitRankingWeights(
  names: string[],
  cases: RankingCase[],
  options: { k: number; rrfK: number; step?: number },
): { weights: Partial<Record<string, number>>; ndcg: number } {
  const p = names.length;
  const step = options.step ?? (p <= 3 ? 0.1 : 0.125);
  const prepared = cases.filter((c) => c.relevant.size > 0).map((c) => prepare(c, p, options.rrfK));
  let best: { w: Float64Array; ndcg: number } = { w: new Float64Array(p).fill(1 / p), ndcg: -1 };
  for (const w of simplexGrid(p, Math.round(1 / step))) {
    let total = 0;
    for (const c of prepared) total += fusedNdcg(c, w, options.k);
    const ndcg = prepared.length > 0 ? total / prepared.length : 0;
    if (ndcg > best.ndcg + 1e-12) best = { w, ndcg };
  }
  const weights: Partial<Record<string, number>> = {};
  names.forEach((name, c) => (weights[name] = round3(best.w[c])));
  return { weights, ndcg: Math.max(0, best.ndcg) };
}

interface PreparedCase {
  ids: Int32Array;
  /** rr[c * ids.length + i] = 1 / (rrfK + rank of ids[i] in list c), 0 when absent. */
  rr: Float64Array;
  relevant: Uint8Array;
  ideal: number;
}

function prepare(c: RankingCase, p: number, rrfK: number): PreparedCase {
  const index = new Map<number, number>();
  for (const list of c.lists) for (const id of list) if (!index.has(id)) index.set(id, index.size);
  const ids = Int32Array.from(index.keys());
  const rr = new Float64Array(p * ids.length);
  c.lists.forEach((list, comp) => list.forEach((id, rank) => (rr[comp * ids.length + (index.get(id) as number)] = 1 / (rrfK + rank + 1))));
  const relevant = new Uint8Array(ids.length);
  ids.forEach((id, i) => (relevant[i] = c.relevant.has(id) ? 1 : 0));
  return { ids, rr, relevant, ideal: c.relevant.size };
}

function fusedNdcg(c: PreparedCase, w: Float64Array, k: number): number {
  const n = c.ids.length;
  const score = new Float64Array(n);
  for (let comp = 0; comp < w.length; comp++) {
    const wc = w[comp];
    if (wc === 0) continue;
    const base = comp * n;
    for (let i = 0; i < n; i++) score[i] += wc * c.rr[base + i];
  }
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => score[i] > 0);
  order.sort((a, b) => score[b] - score[a] || c.ids[a] - c.ids[b]);
  let dcg = 0;
  for (let r = 0; r < Math.min(k, order.length); r++) if (c.relevant[order[r]] === 1) dcg += 1 / Math.log2(r + 2);
  let idcg = 0;
  for (let r = 0; r < Math.min(k, c.ideal); r++) idcg += 1 / Math.log2(r + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** Every vector of p non-negative multiples of 1/steps summing to 1. */
function* simplexGrid(p: number, steps: number): Generator<Float64Array> {
  const parts = new Int32Array(p);
  function* place(i: number, left: number): Generator<Float64Array> {
    if (i === p - 1) {
      parts[i] = left;
      yield Float64Array.from(parts, (v) => v / steps);
      return;
    }
    for (let v = left; v >= 0; v--) {
      parts[i] = v;
      yield* place(i + 1, left - v);
    }
  }
  yield* place(0, steps);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
