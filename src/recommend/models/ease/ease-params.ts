// EASE's parameters, their defaults and checks (read by the fit, the model and the kinds table).

export interface EaseParams {
  /** λ, added to the diagonal of XᵀX: larger shrinks the weights toward 0 (more popular lists). */
  lambda: number;
  /** The most-rated movies covered (memory 12·n² bytes while fitting, 4·n² in the artefact). */
  maxItems: number;
}

/**
 * Chosen on a validation split carved from the training side of MovieLens-small's per-user 75/25
 * split (`streamrec evaluate --split stratified --validation --models ease --ease-lambda …`; the
 * test side never read). NDCG@10 there: λ 100 0.2148, 200 0.2149, 300 0.2150, 500 0.2130, 800
 * 0.2088; 1,000 movies 0.2130, 2,000 0.2156, 3,000 0.2150, 4,000 0.2168 — flat from 2,000 on (the
 * differences are within the noise of 610 users), while the fit grows as n³: 3,000 keeps it to
 * seconds. On a larger catalogue (MovieLens 20M has 26,744 movies) raise it if memory allows.
 */
export const DEFAULT_EASE_PARAMS: EaseParams = { lambda: 300, maxItems: 3000 };

export function validateEaseParams(params: Partial<EaseParams>): EaseParams {
  const p = { ...DEFAULT_EASE_PARAMS, ...params };
  if (!(Number.isFinite(p.lambda) && p.lambda > 0)) throw new Error(`EASE: lambda must be a number above 0, got ${p.lambda}`);
  if (!Number.isInteger(p.maxItems) || p.maxItems < 1) throw new Error(`EASE: maxItems must be a whole number >= 1, got ${p.maxItems}`);
  return p;
}
