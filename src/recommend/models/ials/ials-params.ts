// The parameters of implicit-feedback ALS (Hu, Koren & Volinsky 2008): every rating is an
// observed interaction with preference 1, every other (user, movie) pair preference 0 with
// confidence 1, and a rating r gives its pair confidence c = 1 + w(r) — the rating tells how sure
// the interaction is, not what it is. The model minimises
//   Σ_all c_ui (p_ui − x_u·y_i)² + λ (Σ|x_u|² + Σ|y_i|²).

export interface IalsParams {
  /** Latent factors. */
  rank: number;
  iterations: number;
  /** The confidence weight's scale α: w(r) = α·r (linear) or α·log(1 + r/ε) (log). */
  alpha: number;
  /** λ: plain L2 regularisation, the same for every row (benfred/implicit's `regularization`). */
  lambda: number;
  /** Conjugate-gradient steps per row and half iteration, warm-started from the row's last factors. */
  cgSteps: number;
  confidence: 'linear' | 'log';
  /** ε of the log confidence. */
  epsilon: number;
  seed: number;
}

/**
 * Chosen on MovieLens ml-latest-small with a validation split of the TRAINING side only (the
 * per-user stratified 75/25 split of evaluate, seed 42, its training 75 % split again per user
 * 75/25 with seed 7), by P@10 and NDCG@10 of the validation quarter: see the README's iALS notes.
 */
export const DEFAULT_IALS_PARAMS: Readonly<IalsParams> = Object.freeze({
  rank: 64,
  iterations: 10,
  alpha: 2,
  lambda: 60,
  cgSteps: 3,
  confidence: 'linear',
  epsilon: 1,
  seed: 42,
});

export function checkIalsParams(params: IalsParams): IalsParams {
  const where = 'iALS';
  const { rank, iterations, alpha, lambda, cgSteps, confidence, epsilon, seed } = params;
  if (!Number.isInteger(rank) || rank < 1) throw new Error(`${where}: rank must be a positive whole number (got ${rank})`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`${where}: iterations must be a positive whole number (got ${iterations})`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new Error(`${where}: alpha must be a number above 0 (got ${alpha})`);
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new Error(`${where}: lambda must be a number above 0 (got ${lambda})`);
  if (!Number.isInteger(cgSteps) || cgSteps < 1) throw new Error(`${where}: cgSteps must be a positive whole number (got ${cgSteps})`);
  if (confidence !== 'linear' && confidence !== 'log') throw new Error(`${where}: confidence must be 'linear' or 'log' (got ${String(confidence)})`);
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new Error(`${where}: epsilon must be a number above 0 (got ${epsilon})`);
  if (!Number.isInteger(seed)) throw new Error(`${where}: seed must be a whole number (got ${seed})`);
  return { rank, iterations, alpha, lambda, cgSteps, confidence, epsilon, seed };
}

/**
 * w(r), the confidence above 1 a rating gives: c = 1 + w. Never negative (a rating ≤ 0, which
 * MovieLens does not have, counts as a bare interaction: w = 0).
 */
export function confidenceWeight(rating: number, p: Pick<IalsParams, 'alpha' | 'confidence' | 'epsilon'>): number {
  if (!(rating > 0)) return 0;
  return p.confidence === 'linear' ? p.alpha * rating : p.alpha * Math.log1p(rating / p.epsilon);
}
