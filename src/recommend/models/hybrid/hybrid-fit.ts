// Fitting the hybrid's weights on a validation split (pure functions: predictions and lists in,
// weights out). Rating weights: ordinary least squares with an intercept and a small ridge, so
// collinear components (they all predict ratings) stay stable. Ranking weights: a coordinate
// ascent maximising NDCG@k of the fused lists on validation users, started from the best single
// component (the preferred one unless another clearly ranks better) — so on validation the fusion
// is never worse than that part — and kept only when its gain over that start stands out of the
// noise of the validation users.
import { cholesky, choleskySolve } from '../linalg.js';

/** What the rating blend's weights may move with: the user's history size, the movie's rating count. */
export type MetaFeature = 'history' | 'movie';

export interface RatingBlend {
  intercept: number;
  weights: Partial<Record<string, number>>;
  /**
   * When present, each weight (and the intercept) also moves with meta-features f_m less their
   * centre: prediction = intercept + Σ w_c·p_c + Σ_m f_m·(meta_m.intercept + Σ v_mc·p_c).
   */
  meta?: { feature: MetaFeature; centre: number; intercept: number; weights: Partial<Record<string, number>> }[];
}

/** Movie rating counts (a popularity model's, or a matrix's). */
export interface MovieCounts {
  count(movieId: number): number;
}

/** A meta-feature's raw value: log(1 + history size), or log(1 + the movie's rating count) (0 without counts). */
export function metaFeature(feature: MetaFeature, user: { movies: ArrayLike<number> }, movieId: number, counts: MovieCounts | undefined): number {
  if (feature === 'history') return Math.log1p(user.movies.length);
  return counts === undefined ? 0 : Math.log1p(counts.count(movieId));
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

/**
 * The rating blend with weights linear in meta-features (feature-weighted linear stacking, Sill et
 * al. 2009): f_history = log(1 + the user's history size), f_movie = log(1 + the movie's rating
 * count in the fit), each less its mean over the validation rows; least squares over
 * [1, p_c…, f_m, f_m·p_c…] (what HybridModel.predict computes).
 */
export function fitRatingByMeta(names: string[], predictions: Float32Array[], actual: Float32Array, meta: { feature: MetaFeature; values: Float32Array }[]): RatingBlend {
  const columnsOf = meta.map(({ feature, values }) => {
    const centre = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
    const f = Float32Array.from(values, (v) => v - centre);
    return { feature, centre, f, scaled: predictions.map((p) => Float32Array.from(p, (v, i) => v * f[i])) };
  });
  const allNames = [...names, ...columnsOf.flatMap(({ feature }) => [`@${feature}`, ...names.map((n) => `@${feature}*${n}`)])];
  const allColumns = [...predictions, ...columnsOf.flatMap(({ f, scaled }) => [f, ...scaled])];
  const fit = fitRatingWeights(allNames, allColumns, actual);
  const weights: Partial<Record<string, number>> = {};
  for (const name of names) weights[name] = fit.weights[name];
  return {
    intercept: fit.intercept,
    weights,
    meta: columnsOf.map(({ feature, centre }) => ({
      feature,
      centre,
      intercept: fit.weights[`@${feature}`] ?? 0,
      weights: Object.fromEntries(names.map((n) => [n, fit.weights[`@${feature}*${n}`] ?? 0])),
    })),
  };
}

/** How the components' lists are fused (hybrid.ts applies the same). */
export type Fusion = 'rrf' | 'score';

/**
 * One validation user's component lists (best first, with the components' scores when the
 * fusion reads them), their held-out movies, and how many ratings their history holds.
 */
export interface RankingCase {
  lists: Int32Array[];
  scores?: Float64Array[];
  relevant: ReadonlySet<number>;
  historySize?: number;
}

export interface RankingFitOptions {
  k: number;
  rrfK: number;
  fusion?: Fusion;
  /** Weights to start the ascent from (default: the best single component). */
  start?: Partial<Record<string, number>>;
  /**
   * The components by preference, most preferred first (the table's, set by the test protocol).
   * With it the best single component is the most preferred one unless another ranks the
   * validation users better by minGainSe standard errors: two components within noise of each
   * other on validation can differ for real on test, and the table knows which way.
   */
  preference?: readonly string[];
  /**
   * The ascent's weights replace the start only when their mean NDCG gain over it, user by user,
   * is at least this many standard errors of that mean (default 2); else the start is kept.
   * Validation users are few and a fusion fitted on them gains a little by chance: this keeps the
   * hybrid to its best part unless blending really helps.
   */
  minGainSe?: number;
}

export interface RankingFit {
  weights: Partial<Record<string, number>>;
  /** Mean NDCG@k of the fused lists on the cases. */
  ndcg: number;
  /** Each component's own mean NDCG@k on the cases (its list alone). */
  single: Partial<Record<string, number>>;
  /** The ascent's mean gain over its start and that mean's standard error (0, 0 when it never moved). */
  gain: number;
  gainSe: number;
  /** Whether the ascent's weights were kept (false: the start's, the gain being within the noise). */
  blended: boolean;
}

/** The weight values a coordinate tries (the best component's weight starts at 1). */
const GRID = [0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5];
const PASSES = 6;

/**
 * Ranking weights maximising mean NDCG@k of the fusion over the cases: each component alone is
 * scored, the ascent starts from the best one (weight 1, the others 0) or from `start`, then each
 * weight in turn takes the grid value that improves the mean most, until a pass improves nothing.
 * Only a strict improvement moves a weight, so a component that adds nothing stays at 0 and the
 * result is deterministic. Weights are returned summing to 1.
 */
export function fitRankingWeights(names: string[], cases: RankingCase[], options: RankingFitOptions): RankingFit {
  const p = names.length;
  const fusion = options.fusion ?? 'rrf';
  const prepared = cases.filter((c) => c.relevant.size > 0).map((c) => prepare(c, p, fusion, options.rrfK));
  const scratch = new Float64Array(Math.max(1, ...prepared.map((c) => c.ids.length)));
  const evaluate = (w: Float64Array) => {
    let total = 0;
    for (const c of prepared) total += fusedNdcg(c, w, options.k, scratch);
    return prepared.length > 0 ? total / prepared.length : 0;
  };
  const single: Partial<Record<string, number>> = {};
  const unit = (c: number) => {
    const e = new Float64Array(p);
    e[c] = 1;
    return e;
  };
  // Each component's NDCG user by user: a preferred one is compared with the others pairwise.
  const perUser = names.map((_, c) => prepared.map((pc) => fusedNdcg(pc, unit(c), options.k, scratch)));
  const means = perUser.map((v) => (v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0));
  let chosen = -1;
  let best = -1;
  names.forEach((name, c) => {
    single[name] = means[c];
    if (means[c] > best + 1e-12) {
      best = means[c];
      chosen = c;
    }
  });
  const preferred = options.preference?.map((name) => names.indexOf(name)).find((c) => c >= 0);
  if (preferred !== undefined) {
    chosen = preferred;
    const challengers = names.map((_, c) => c).filter((c) => c !== preferred).sort((a, b) => means[b] - means[a]);
    for (const c of challengers) {
      if (clearGain(perUser[c].map((v, u) => v - perUser[preferred][u]), options.minGainSe ?? 2).kept) {
        chosen = c;
        break;
      }
    }
    best = means[chosen];
  }
  let w = p > 0 ? unit(Math.max(0, chosen)) : new Float64Array(0);
  if (options.start !== undefined) {
    const start = Float64Array.from(names, (name) => Math.max(0, options.start?.[name] ?? 0));
    const ndcg = start.some((v) => v > 0) ? evaluate(start) : -1;
    if (ndcg >= best) {
      best = ndcg;
      w = start;
    }
  }
  const start = Float64Array.from(w);
  const startNdcg = best;
  for (let pass = 0; pass < PASSES; pass++) {
    let moved = false;
    for (let c = 0; c < p; c++) {
      const was = w[c];
      let take = was;
      for (const value of GRID) {
        if (value === was) continue;
        w[c] = value;
        if (!w.some((v) => v > 0)) continue;
        const ndcg = evaluate(w);
        if (ndcg > best + 1e-9) {
          best = ndcg;
          take = value;
        }
      }
      w[c] = take;
      if (take !== was) moved = true;
    }
    if (!moved) break;
  }
  // The gain over the start, user by user: kept only when it stands out of the noise.
  let gain = 0;
  let gainSe = 0;
  let blended = false;
  if (w.some((v, c) => v !== start[c])) {
    ({ gain, se: gainSe, kept: blended } = clearGain(prepared.map((c) => fusedNdcg(c, w, options.k, scratch) - fusedNdcg(c, start, options.k, scratch)), options.minGainSe ?? 2));
    if (!blended) {
      w = start;
      best = startNdcg;
    }
  }
  const sum = w.reduce((a, b) => a + b, 0);
  const weights: Partial<Record<string, number>> = {};
  names.forEach((name, c) => (weights[name] = sum > 0 ? w[c] / sum : 0));
  return { weights, ndcg: Math.max(0, best), single, gain, gainSe, blended };
}

/** The mean of per-user gains and its standard error; kept when the mean is above 0 by at least `minSe` of them. */
function clearGain(diffs: number[], minSe: number): { gain: number; se: number; kept: boolean } {
  const gain = diffs.length > 0 ? diffs.reduce((a, b) => a + b, 0) / diffs.length : 0;
  const variance = diffs.length > 1 ? diffs.reduce((a, d) => a + (d - gain) ** 2, 0) / (diffs.length - 1) : 0;
  const se = Math.sqrt(variance / Math.max(1, diffs.length));
  return { gain, se, kept: gain > 0 && gain >= minSe * se };
}

/** Mean NDCG@k over the cases of the fusion with the given weights. */
export function rankingNdcg(names: string[], cases: RankingCase[], weights: Partial<Record<string, number>>, options: RankingFitOptions): number {
  const prepared = cases.filter((c) => c.relevant.size > 0).map((c) => prepare(c, names.length, options.fusion ?? 'rrf', options.rrfK));
  const scratch = new Float64Array(Math.max(1, ...prepared.map((c) => c.ids.length)));
  const w = Float64Array.from(names, (name) => weights[name] ?? 0);
  let total = 0;
  for (const c of prepared) total += fusedNdcg(c, w, options.k, scratch);
  return prepared.length > 0 ? total / prepared.length : 0;
}

/** The fused score of movie `id` at rank `rank` (0-based) of a list with scores: what each fusion adds per unit weight. */
export function fusionTerm(fusion: Fusion, rrfK: number, rank: number, score: number, top: number, bottom: number): number {
  if (fusion === 'rrf') return 1 / (rrfK + rank + 1);
  // Min-max over the list, floored above 0 so every listed movie counts for something.
  return top > bottom ? 0.05 + (0.95 * (score - bottom)) / (top - bottom) : 1;
}

interface PreparedCase {
  ids: Int32Array;
  /** term[c * ids.length + i]: component c's fusion term for ids[i], 0 when absent from its list. */
  term: Float64Array;
  relevant: Uint8Array;
  /** How many movies are relevant (the ideal list's hits). */
  ideal: number;
}

function prepare(c: RankingCase, p: number, fusion: Fusion, rrfK: number): PreparedCase {
  const index = new Map<number, number>();
  for (const list of c.lists) for (const id of list) if (!index.has(id)) index.set(id, index.size);
  const ids = Int32Array.from(index.keys());
  const term = new Float64Array(p * ids.length);
  c.lists.forEach((list, comp) => {
    const scores = c.scores?.[comp];
    if (fusion === 'score' && scores === undefined) throw new Error('fitRankingWeights: score fusion needs the lists\' scores');
    const top = scores !== undefined && scores.length > 0 ? scores[0] : 0;
    const bottom = scores !== undefined && scores.length > 0 ? scores[scores.length - 1] : 0;
    list.forEach((id, rank) => (term[comp * ids.length + (index.get(id) as number)] = fusionTerm(fusion, rrfK, rank, scores?.[rank] ?? 0, top, bottom)));
  });
  const relevant = new Uint8Array(ids.length);
  ids.forEach((id, i) => (relevant[i] = c.relevant.has(id) ? 1 : 0));
  return { ids, term, relevant, ideal: c.relevant.size };
}

/** NDCG@k of one case's fused list: the k best fused scores (ties by id), by selection. */
function fusedNdcg(c: PreparedCase, w: Float64Array, k: number, score: Float64Array): number {
  const n = c.ids.length;
  score.fill(0, 0, n);
  for (let comp = 0; comp < w.length; comp++) {
    const wc = w[comp];
    if (wc === 0) continue;
    const base = comp * n;
    for (let i = 0; i < n; i++) score[i] += wc * c.term[base + i];
  }
  let dcg = 0;
  let idcg = 0;
  const ids = c.ids;
  // k rounds of picking the best not yet picked (k is small); a pick is marked by negating its score.
  for (let r = 0; r < k; r++) {
    let at = -1;
    for (let i = 0; i < n; i++) {
      const s = score[i];
      if (s > 0 && (at < 0 || s > score[at] || (s === score[at] && ids[i] < ids[at]))) at = i;
    }
    if (r < c.ideal) idcg += 1 / Math.log2(r + 2);
    if (at < 0) continue;
    if (c.relevant[at] === 1) dcg += 1 / Math.log2(r + 2);
    score[at] = -score[at];
  }
  return idcg > 0 ? dcg / idcg : 0;
}
