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
 * Chosen on a validation split carved from the training side of MovieLens-small's per-user 75/25
 * split (`streamrec evaluate --split stratified --validation --models rp3beta --rp3-beta …`; the
 * test side never read). NDCG@10 there, at α 1 and 200 neighbours: β 0 0.1949, 0.2 0.1994, 0.3
 * 0.1993, 0.5 0.1740, 0.7 0.0500; at β 0.3: α 0.6 0.2015, 0.7 0.2026, 0.8 0.2022, 1.2 0.1899;
 * neighbours 50 0.1943, 100 0.1986, 200 0.1993, 400 0.1997. MovieLens-small's users rate many
 * movies, so a strong popularity penalty (the β 0.5–0.7 reported on other data) hurts here.
 */
export const DEFAULT_ITEM_GRAPH_PARAMS: ItemGraphParams = { alpha: 0.8, beta: 0.3, neighbours: 200 };

export function validateItemGraphParams(params: Partial<ItemGraphParams>): ItemGraphParams {
  const p = { ...DEFAULT_ITEM_GRAPH_PARAMS, ...params };
  if (!(Number.isFinite(p.alpha) && p.alpha > 0)) throw new Error(`RP3beta: alpha must be a number above 0, got ${p.alpha}`);
  if (!(Number.isFinite(p.beta) && p.beta >= 0)) throw new Error(`RP3beta: beta must be a number >= 0, got ${p.beta}`);
  if (!Number.isInteger(p.neighbours) || p.neighbours < 1) throw new Error(`RP3beta: neighbours must be a whole number >= 1, got ${p.neighbours}`);
  return p;
}
