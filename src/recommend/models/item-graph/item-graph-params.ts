// RP3beta's parameters, their defaults and checks (read by the fit, the model and the kinds table).

export interface ItemGraphParams {
  /** α: each step's transition probability is raised to it (1: the plain random walk). */
  alpha: number;
  /** β: a movie's arrival weight is divided by its popularity (rating count) to this power. */
  beta: number;
  /** Out-neighbours kept per movie (the heaviest; the rest of the row is pruned). */
  neighbours: number;
}

/**
 * Chosen on a validation split carved from the training side of MovieLens-small's stratified
 * split (`streamrec evaluate --split stratified --validation`; the test side never read).
 */
export const DEFAULT_ITEM_GRAPH_PARAMS: ItemGraphParams = { alpha: 0.8, beta: 0.3, neighbours: 200 };

export function validateItemGraphParams(params: Partial<ItemGraphParams>): ItemGraphParams {
  const p = { ...DEFAULT_ITEM_GRAPH_PARAMS, ...params };
  if (!(Number.isFinite(p.alpha) && p.alpha > 0)) throw new Error(`RP3beta: alpha must be a number above 0, got ${p.alpha}`);
  if (!(Number.isFinite(p.beta) && p.beta >= 0)) throw new Error(`RP3beta: beta must be a number >= 0, got ${p.beta}`);
  if (!Number.isInteger(p.neighbours) || p.neighbours < 1) throw new Error(`RP3beta: neighbours must be a whole number >= 1, got ${p.neighbours}`);
  return p;
}
