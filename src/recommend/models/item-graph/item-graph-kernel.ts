// The RP3beta kernel, shared by the worker threads and the in-thread path. The two-step walk
// i → user → j has weight W[i][j] = (1/n_i)^α · S_ij · n_j^−β with S_ij = Σ_u (1/n_u)^α over the
// users u who rated both — S is symmetric, so each pair is summed once: for movie i, every user
// who rated i pours (1/n_u)^α into a dense scratch row for each movie j > i they rated (Σ_u n_u²/2
// additions in all, no pair map), and the pair is offered to both rows' top-k heaps (item-CF's).

import { offer, type NeighbourHeaps } from '../item-cf/item-cf-kernel.js';

/** The binary rating matrix as the kernel reads it (plain or SharedArrayBuffer-backed arrays). */
export interface GraphData {
  movies: number;
  /** By user: movie indices, ascending. */
  userPtr: Int32Array;
  userItems: Int32Array;
  /** By movie: user indices. */
  moviePtr: Int32Array;
  movieUsers: Int32Array;
  /** (1/n_u)^α per user, (1/n_i)^α per movie, n_j^−β per movie. */
  userStep: Float64Array;
  movieStep: Float64Array;
  arrival: Float64Array;
}

/**
 * Per-thread scratch: the dense row of S (zero between movies), and the weight each row's heap
 * in this thread's set asks a newcomer to reach (−∞ until full) — read instead of the heap's root,
 * which lies far away in memory: most pairs fall short, and then touch nothing else.
 */
export interface GraphScratch {
  acc: Float64Array;
  bar: Float64Array;
}

export function newGraphScratch(movies: number): GraphScratch {
  return { acc: new Float64Array(movies), bar: new Float64Array(movies).fill(-Infinity) };
}

/** Every pair (i, j > i) with a user in common, offered to row i's heap as W[i][j] and to row j's as W[j][i]. */
export function pairsOfMovie(i: number, d: GraphData, scratch: GraphScratch, heaps: NeighbourHeaps): void {
  const { userPtr, userItems, moviePtr, movieUsers, userStep, movieStep, arrival } = d;
  const acc = scratch.acc;
  let lo = d.movies;
  let hi = -1;
  for (let p = moviePtr[i], pEnd = moviePtr[i + 1]; p < pEnd; p++) {
    const u = movieUsers[p];
    const end = userPtr[u + 1];
    const at = positionOf(userItems, userPtr[u], end, i);
    if (at < 0 || at + 1 >= end) continue;
    const w = userStep[u];
    for (let q = at + 1; q < end; q++) acc[userItems[q]] += w;
    if (userItems[at + 1] < lo) lo = userItems[at + 1];
    if (userItems[end - 1] > hi) hi = userItems[end - 1];
  }
  const fromI = movieStep[i];
  const intoI = arrival[i];
  const bar = scratch.bar;
  for (let j = lo; j <= hi; j++) {
    const s = acc[j];
    if (s === 0) continue;
    acc[j] = 0;
    // A tie with the bar still goes to the heap, which breaks it by movie index.
    const wij = fromI * s * arrival[j];
    if (wij >= bar[i]) offerAndRaise(heaps, bar, i, j, wij);
    const wji = movieStep[j] * s * intoI;
    if (wji >= bar[j]) offerAndRaise(heaps, bar, j, i, wji);
  }
}

/** Offers (j, w) to row m's heap and moves the row's bar to its root once it is full. */
function offerAndRaise(heaps: NeighbourHeaps, bar: Float64Array, m: number, j: number, w: number): void {
  offer(heaps, m, j, w);
  if (heaps.sizes[m] === heaps.k) bar[m] = heaps.sims[m * heaps.k];
}

/** W[i][i]: the weight of the walk from i back to i. */
export function selfWeight(i: number, d: GraphData): number {
  let sum = 0;
  for (let p = d.moviePtr[i]; p < d.moviePtr[i + 1]; p++) sum += d.userStep[d.movieUsers[p]];
  return sum * d.movieStep[i] * d.arrival[i];
}

/** The position of movie i in a user's ascending row [from, to), or -1. */
function positionOf(items: Int32Array, from: number, to: number, i: number): number {
  let lo = from;
  let hi = to - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = items[mid];
    if (v < i) lo = mid + 1;
    else if (v > i) hi = mid - 1;
    else return mid;
  }
  return -1;
}
