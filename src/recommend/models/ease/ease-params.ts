// EASE's parameters, their defaults and checks (read by the fit, the model and the kinds table).

export interface EaseParams {
  /** λ, added to the diagonal of XᵀX: larger shrinks the weights toward 0 (more popular lists). */
  lambda: number;
  /** The most-rated movies covered (memory 12·n² bytes while fitting, 4·n² in the artefact). */
  maxItems: number;
}

/**
 * Chosen on a validation split carved from the training side of MovieLens-small's stratified
 * split (`streamrec evaluate --split stratified --validation`; the test side never read): NDCG@10
 * is flat from λ 200 to 500 and from 2,000 movies on; 3,000 keeps the fit to seconds.
 */
export const DEFAULT_EASE_PARAMS: EaseParams = { lambda: 300, maxItems: 3000 };

export function validateEaseParams(params: Partial<EaseParams>): EaseParams {
  const p = { ...DEFAULT_EASE_PARAMS, ...params };
  if (!(Number.isFinite(p.lambda) && p.lambda > 0)) throw new Error(`EASE: lambda must be a number above 0, got ${p.lambda}`);
  if (!Number.isInteger(p.maxItems) || p.maxItems < 1) throw new Error(`EASE: maxItems must be a whole number >= 1, got ${p.maxItems}`);
  return p;
}
