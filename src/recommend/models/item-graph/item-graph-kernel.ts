// The RP3beta kernel, shared by the worker threads and the in-thread path. The two-step walk
// i → user → j has weight W[i][j] = (1/n_i)^α · S_ij · n_j^−β with S_ij = Σ_u (1/n_u)^α over the
// users u who rated both — S is symmetric, so each pair is summed once: for movie i, every user
// who rated i pours (1/n_u)^α into a dense scratch row for each movie j > i they rated (Σ_u n_u²/2
// additions in all, no pair map), and the pair is offered to both rows' candidate lists.
//
// The kernel numbers movies by rating count, most rated first (GraphData.original maps back), and
// keeps candidates in unordered per-row lists rather than heaps. At MovieLens-20M size a row's
// list lies far away in memory (26,744 rows × 2.4 KB per thread), so an offer costs cache misses:
// a heap replacement touches a dozen lines (~1 µs), an append one or two (the list is cut back to
// its best k only when it fills up). Most rated first, each row meets its heaviest partners (the
// popular movies) early, so its bar rises early and later offers fall short of it: of the 231M
// pairs' offers, 28.7M passed the bar in the plain order, 15M in this one (with heaps). S_ij is
// the same sum in the same order (over the common users, ascending) whichever of i and j comes
// first, and ties are broken by the original movie index, so the rows kept are exactly those of
// the plain order.

/** The binary rating matrix as the kernel reads it (plain or SharedArrayBuffer-backed arrays). */
export interface GraphData {
  movies: number;
  /** Kernel movie index (most rated first) → the model's dense movie index. */
  original: Int32Array;
  /** By user: kernel movie indices, ascending. */
  userPtr: Int32Array;
  userItems: Int32Array;
  /** By kernel movie index: user indices, ascending. */
  moviePtr: Int32Array;
  movieUsers: Int32Array;
  /** (1/n_u)^α per user; (1/n_i)^α and n_j^−β per kernel movie index. */
  userStep: Float64Array;
  movieStep: Float64Array;
  arrival: Float64Array;
}

/**
 * One thread's candidates: row m (the model's movie index) holds up to 2k (neighbour, weight)
 * pairs, unordered, in slots [m·2k, m·2k + sizes[m]); when it fills up it is cut back to its best
 * k; at the end, cut and sorted best first (finishRows), the threads' rows are merged (mergeRows).
 */
export interface CandidateRows {
  /** Slots per row: 2·keep. */
  k: number;
  /** Neighbours kept per row. */
  keep: number;
  ids: Int32Array;
  sims: Float64Array;
  sizes: Int32Array;
}

export function newCandidateRows(movies: number, keep: number, shared: boolean): CandidateRows {
  const make = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const k = 2 * keep;
  return { k, keep, ids: new Int32Array(make(movies * k * 4)), sims: new Float64Array(make(movies * k * 8)), sizes: new Int32Array(make(movies * 4)) };
}

/**
 * Per-thread scratch: the dense row of S (zero between movies); by kernel movie index, the weight
 * a newcomer must reach to enter the row's list (−∞ until its first cut, then the k-th best,
 * read instead of the far-away list: most pairs fall short and touch nothing else); and by user,
 * where to look for the next movie in the user's row.
 */
export interface GraphScratch {
  acc: Float64Array;
  bar: Float64Array;
  /**
   * A thread takes movies in increasing kernel order (chunks from a counter that only grows), so
   * where movie i sits in a user's row only moves forward: a step or a few from the last one,
   * instead of a binary search per (movie, user).
   */
  cursor: Int32Array;
}

export function newGraphScratch(d: GraphData): GraphScratch {
  return { acc: new Float64Array(d.movies), bar: new Float64Array(d.movies).fill(-Infinity), cursor: d.userPtr.slice(0, d.userPtr.length - 1) };
}

/**
 * Every pair (i, j > i) with a user in common (kernel indices), offered to row i's list as W[i][j]
 * and to row j's as W[j][i]. Calls on one scratch must come in increasing i (see `cursor`).
 */
export function pairsOfMovie(i: number, d: GraphData, scratch: GraphScratch, rows: CandidateRows): void {
  const { userPtr, userItems, moviePtr, movieUsers, userStep, movieStep, arrival, original } = d;
  const { acc, bar, cursor } = scratch;
  let lo = d.movies;
  let hi = -1;
  for (let p = moviePtr[i], pEnd = moviePtr[i + 1]; p < pEnd; p++) {
    const u = movieUsers[p];
    const end = userPtr[u + 1];
    let at = cursor[u];
    while (userItems[at] < i) at++;
    cursor[u] = at + 1;
    if (at + 1 >= end) continue;
    const w = userStep[u];
    // Σ_u n_u²/2 of these (5.8G at MovieLens-20M size): unrolled by four, ~15 % faster in V8.
    let q = at + 1;
    for (; q + 3 < end; q += 4) {
      const a = userItems[q];
      const b = userItems[q + 1];
      const c = userItems[q + 2];
      const e = userItems[q + 3];
      acc[a] += w;
      acc[b] += w;
      acc[c] += w;
      acc[e] += w;
    }
    for (; q < end; q++) acc[userItems[q]] += w;
    if (userItems[at + 1] < lo) lo = userItems[at + 1];
    if (userItems[end - 1] > hi) hi = userItems[end - 1];
  }
  const fromI = movieStep[i];
  const intoI = arrival[i];
  const oi = original[i];
  for (let j = lo; j <= hi; j++) {
    const s = acc[j];
    if (s === 0) continue;
    acc[j] = 0;
    // A tie with the bar still goes in: the cut breaks it by movie index.
    const wij = fromI * s * arrival[j];
    if (wij >= bar[i]) offer(rows, bar, i, oi, original[j], wij);
    const wji = movieStep[j] * s * intoI;
    if (wji >= bar[j]) offer(rows, bar, j, original[j], oi, wji);
  }
}

/** Appends (id, w) to row m (kernel index r); a full row is cut back to its best k and its bar raised to the k-th. */
function offer(rows: CandidateRows, bar: Float64Array, r: number, m: number, id: number, w: number): void {
  const base = m * rows.k;
  const size = rows.sizes[m];
  rows.sims[base + size] = w;
  rows.ids[base + size] = id;
  if (size + 1 < rows.k) {
    rows.sizes[m] = size + 1;
    return;
  }
  bar[r] = keepBest(rows.ids, rows.sims, base, rows.k, rows.keep);
  rows.sizes[m] = rows.keep;
}

/**
 * A thread's last step: every row cut back to its best k and sorted best first, so that the
 * threads' rows merge in one pass (mergeRows) instead of a sort per row on the main thread.
 */
export function finishRows(rows: CandidateRows): void {
  for (let m = 0; m < rows.sizes.length; m++) {
    const base = m * rows.k;
    if (rows.sizes[m] > rows.keep) {
      keepBest(rows.ids, rows.sims, base, rows.sizes[m], rows.keep);
      rows.sizes[m] = rows.keep;
    }
    sortBest(rows.ids, rows.sims, base, base + rows.sizes[m] - 1);
  }
}

/**
 * The final neighbour lists: per movie, the k best of the union of every thread's sorted rows
 * (each pair lives in exactly one thread's rows, so the union's top k is the true top k), best
 * first, ties by movie index ascending — what item-cf's mergeHeaps gives, without its sorts.
 */
export function mergeRows(movies: number, keep: number, parts: CandidateRows[]): { ptr: Int32Array; ids: Int32Array; sims: Float32Array } {
  const ptr = new Int32Array(movies + 1);
  for (let m = 0; m < movies; m++) {
    let n = 0;
    for (const c of parts) n += c.sizes[m];
    ptr[m + 1] = ptr[m] + Math.min(n, keep);
  }
  const ids = new Int32Array(ptr[movies]);
  const sims = new Float32Array(ptr[movies]);
  const head = new Int32Array(parts.length);
  for (let m = 0; m < movies; m++) {
    head.fill(0);
    for (let at = ptr[m]; at < ptr[m + 1]; at++) {
      let best = -1;
      let bestSim = 0;
      let bestId = 0;
      for (let t = 0; t < parts.length; t++) {
        const c = parts[t];
        if (head[t] >= c.sizes[m]) continue;
        const x = m * c.k + head[t];
        if (best < 0 || c.sims[x] > bestSim || (c.sims[x] === bestSim && c.ids[x] < bestId)) {
          best = t;
          bestSim = c.sims[x];
          bestId = c.ids[x];
        }
      }
      head[best]++;
      ids[at] = bestId;
      sims[at] = bestSim;
    }
  }
  return { ptr, ids, sims };
}

/**
 * Moves the best `keep` of the n entries at `from` to the front (unordered; better = heavier, or as
 * heavy with a lower movie index) and returns the keep-th best's weight: Hoare's selection,
 * expected O(n). Ids within a row are distinct, so the order is strict.
 */
function keepBest(ids: Int32Array, sims: Float64Array, from: number, n: number, keep: number): number {
  const target = from + keep - 1;
  let lo = from;
  let hi = from + n - 1;
  while (lo < hi) {
    const at = partition(ids, sims, lo, hi);
    if (at === target) break;
    if (at < target) lo = at + 1;
    else hi = at - 1;
  }
  return sims[target];
}

/** Sorts entries [lo, hi] best first: quicksort, insertion sort below 16 entries. */
function sortBest(ids: Int32Array, sims: Float64Array, lo: number, hi: number): void {
  while (hi - lo >= 16) {
    const at = partition(ids, sims, lo, hi);
    // Recurse into the smaller side, loop on the larger: the stack stays O(log n).
    if (at - lo < hi - at) {
      sortBest(ids, sims, lo, at - 1);
      lo = at + 1;
    } else {
      sortBest(ids, sims, at + 1, hi);
      hi = at - 1;
    }
  }
  for (let x = lo + 1; x <= hi; x++) {
    const s = sims[x];
    const id = ids[x];
    let y = x - 1;
    while (y >= lo && (sims[y] < s || (sims[y] === s && ids[y] > id))) {
      sims[y + 1] = sims[y];
      ids[y + 1] = ids[y];
      y--;
    }
    sims[y + 1] = s;
    ids[y + 1] = id;
  }
}

/** Puts the middle entry of [lo, hi] where it belongs, the better ones before it, the rest after (Lomuto); returns its place. */
function partition(ids: Int32Array, sims: Float64Array, lo: number, hi: number): number {
  swap(ids, sims, (lo + hi) >>> 1, hi);
  const ps = sims[hi];
  const pi = ids[hi];
  let at = lo;
  for (let x = lo; x < hi; x++) {
    if (sims[x] > ps || (sims[x] === ps && ids[x] < pi)) swap(ids, sims, x, at++);
  }
  swap(ids, sims, at, hi);
  return at;
}

function swap(ids: Int32Array, sims: Float64Array, a: number, b: number): void {
  const s = sims[a];
  sims[a] = sims[b];
  sims[b] = s;
  const t = ids[a];
  ids[a] = ids[b];
  ids[b] = t;
}

/** W[i][i] (kernel index i): the weight of the walk from i back to i. */
export function selfWeight(i: number, d: GraphData): number {
  let sum = 0;
  for (let p = d.moviePtr[i]; p < d.moviePtr[i + 1]; p++) sum += d.userStep[d.movieUsers[p]];
  return sum * d.movieStep[i] * d.arrival[i];
}
