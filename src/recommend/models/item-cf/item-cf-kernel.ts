// The item-CF similarity kernel, shared by the worker threads and the in-thread path. Item-major:
// for movie i, every user who rated i adds a_ui·a_uj to a dense scratch row for each movie j > i
// in their row, so the whole job costs Σ_u n_u²/2 multiply-adds with no pair map. Each pair
// (i, j) is computed once and offered to both movies' top-K heaps.

/** The rating matrix as the kernel reads it (plain or SharedArrayBuffer-backed arrays). */
export interface KernelData {
  movies: number;
  /** By user: movie indices ascending, and the value of each rating (raw, or centred by the user's mean). */
  userPtr: Int32Array;
  userItems: Int32Array;
  values: Float32Array;
  /** By movie: user indices. */
  moviePtr: Int32Array;
  movieUsers: Int32Array;
  /** ‖a_i‖ over all users, per movie. */
  norms: Float64Array;
}

export interface KernelParams {
  minCommonUsers: number;
  shrinkage: number;
  neighbours: number;
}

/**
 * One top-K min-heap per movie in flat arrays: slots [m·K, m·K + sizes[m]) of movie m. Worst kept
 * at the root; "worse" = lower similarity, or equal similarity and larger movie index.
 */
export interface NeighbourHeaps {
  k: number;
  ids: Int32Array;
  sims: Float64Array;
  sizes: Int32Array;
}

export function newHeaps(movies: number, k: number, shared: boolean): NeighbourHeaps {
  const make = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return {
    k,
    ids: new Int32Array(make(movies * k * 4)),
    sims: new Float64Array(make(movies * k * 8)),
    sizes: new Int32Array(make(movies * 4)),
  };
}

/**
 * Dense per-thread scratch, reused for every movie (zero between movies): acc[2j] is the dot
 * product with movie j, acc[2j + 1] the users in common — side by side, so one cache line serves
 * both updates (about 10 % faster than two arrays).
 */
export interface Scratch {
  acc: Float64Array;
}

export function newScratch(movies: number): Scratch {
  return { acc: new Float64Array(2 * movies) };
}

/** Similarities of movie i with every movie j > i, offered to both heaps. */
export function pairsOfMovie(i: number, d: KernelData, p: KernelParams, scratch: Scratch, heaps: NeighbourHeaps): void {
  const { userPtr, userItems, values, moviePtr, movieUsers } = d;
  const acc = scratch.acc;
  let lo = d.movies;
  let hi = -1;
  for (let q = moviePtr[i], qEnd = moviePtr[i + 1]; q < qEnd; q++) {
    const u = movieUsers[q];
    const end = userPtr[u + 1];
    const at = positionOf(userItems, userPtr[u], end, i);
    if (at < 0 || at + 1 >= end) continue;
    const a = values[at];
    for (let k = at + 1; k < end; k++) {
      const j2 = userItems[k] << 1;
      acc[j2] += a * values[k];
      acc[j2 + 1] += 1;
    }
    if (userItems[at + 1] < lo) lo = userItems[at + 1];
    if (userItems[end - 1] > hi) hi = userItems[end - 1];
  }
  const { minCommonUsers, shrinkage } = p;
  const norms = d.norms;
  const ni = norms[i];
  for (let j = lo; j <= hi; j++) {
    const n = acc[2 * j + 1];
    if (n === 0) continue;
    const dj = acc[2 * j];
    acc[2 * j] = 0;
    acc[2 * j + 1] = 0;
    if (n < minCommonUsers || ni === 0 || norms[j] === 0) continue;
    const sim = ((dj / (ni * norms[j])) * n) / (n + shrinkage);
    // Only positive similarities are neighbours: a negative one is no reason to recommend.
    if (!(sim > 0)) continue;
    offer(heaps, i, j, sim);
    offer(heaps, j, i, sim);
  }
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

export function offer(h: NeighbourHeaps, m: number, j: number, sim: number): void {
  const k = h.k;
  if (k <= 0) return;
  const base = m * k;
  const ids = h.ids;
  const sims = h.sims;
  const size = h.sizes[m];
  if (size < k) {
    let i = size;
    h.sizes[m] = size + 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(sim, j, sims[base + parent], ids[base + parent])) break;
      sims[base + i] = sims[base + parent];
      ids[base + i] = ids[base + parent];
      i = parent;
    }
    sims[base + i] = sim;
    ids[base + i] = j;
    return;
  }
  if (!worse(sims[base], ids[base], sim, j)) return;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= k) break;
    const r = l + 1;
    let w = l;
    if (r < k && worse(sims[base + r], ids[base + r], sims[base + l], ids[base + l])) w = r;
    if (!worse(sims[base + w], ids[base + w], sim, j)) break;
    sims[base + i] = sims[base + w];
    ids[base + i] = ids[base + w];
    i = w;
  }
  sims[base + i] = sim;
  ids[base + i] = j;
}

function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/**
 * The final neighbour lists: per movie, the K best of the union of every thread's heap (each pair
 * lives in exactly one thread's heaps, so the union's top K is the true top K), best first, ties by
 * movie index ascending.
 */
export function mergeHeaps(movies: number, k: number, parts: NeighbourHeaps[]): { ptr: Int32Array; ids: Int32Array; sims: Float32Array } {
  const ptr = new Int32Array(movies + 1);
  for (let m = 0; m < movies; m++) {
    let n = 0;
    for (const h of parts) n += h.sizes[m];
    ptr[m + 1] = ptr[m] + Math.min(n, k);
  }
  const ids = new Int32Array(ptr[movies]);
  const sims = new Float32Array(ptr[movies]);
  const candIds: number[] = [];
  const candSims: number[] = [];
  const order: number[] = [];
  for (let m = 0; m < movies; m++) {
    candIds.length = 0;
    candSims.length = 0;
    for (const h of parts) {
      for (let s = 0, base = m * h.k; s < h.sizes[m]; s++) {
        candIds.push(h.ids[base + s]);
        candSims.push(h.sims[base + s]);
      }
    }
    order.length = 0;
    for (let c = 0; c < candIds.length; c++) order.push(c);
    order.sort((a, b) => candSims[b] - candSims[a] || candIds[a] - candIds[b]);
    for (let c = 0, at = ptr[m]; at < ptr[m + 1]; c++, at++) {
      ids[at] = candIds[order[c]];
      sims[at] = candSims[order[c]];
    }
  }
  return { ptr, ids, sims };
}
