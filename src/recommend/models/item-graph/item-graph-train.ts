// Fits RP3beta (Paudel et al. 2017, "Updatable, accurate, diverse, and scalable recommendations
// for interactive applications"; the variant of Dacrema et al.'s benchmark): a random walk of two
// steps on the bipartite user–movie graph of who rated what (every rating a watch, whatever its
// value), each step's probability raised to α, the arrival divided by the movie's popularity to
// the β, every row pruned to its heaviest `neighbours`. Worker threads over SharedArrayBuffers take
// chunks of movies, each pair summed once (item-graph-kernel.ts), each thread keeping its own
// top-k heaps, merged at the end: what lets it scale to MovieLens 20M.
import { availableParallelism } from 'node:os';
import type { Interactions } from '../../data/interactions.js';
import { itemBiases } from '../baseline-predictor.js';
import { ratingScale } from '../popularity/popularity.js';
import { mergeHeaps, newHeaps, type NeighbourHeaps } from '../item-cf/item-cf-kernel.js';
import { WorkerPool } from '../worker-pool.js';
import { validateItemGraphParams, type ItemGraphParams } from './item-graph-params.js';
import { newGraphScratch, pairsOfMovie, selfWeight, type GraphData } from './item-graph-kernel.js';
import type { ItemGraphWorkerData } from './item-graph-worker.js';
import { ItemGraphModel } from './item-graph.js';

export interface ItemGraphTrainOptions {
  /** Worker threads; 1 runs in this thread. Default: 1 for small data, else the cores available. */
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

const SMALL_DATA = 200_000;

export async function trainItemGraph(data: Interactions, params: Partial<ItemGraphParams> = {}, options: ItemGraphTrainOptions = {}): Promise<ItemGraphModel> {
  const p = validateItemGraphParams(params);
  const threads = options.threads ?? (data.count < SMALL_DATA ? 1 : availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`RP3beta: threads must be a whole number >= 1, got ${threads}`);
  options.signal?.throwIfAborted();
  const shared = threads > 1;
  const graph = graphData(data, p, shared);
  const k = Math.min(p.neighbours, Math.max(1, data.movies.size - 1));
  const parts = shared ? await runWorkers(graph, k, threads, options) : [await runInThread(graph, k, options)];
  const rows = mergeHeaps(data.movies.size, k, parts);
  const self = new Float32Array(data.movies.size);
  for (let i = 0; i < self.length; i++) self[i] = selfWeight(i, graph);
  return new ItemGraphModel({
    params: p,
    users: data.users,
    movies: data.movies,
    globalMean: data.globalMean,
    scale: ratingScale(data.userRatings),
    itemBias: itemBiases(data),
    nbrPtr: rows.ptr,
    nbrIds: rows.ids,
    nbrWeights: rows.sims,
    selfWeight: self,
  });
}

/** The matrix and the per-user and per-movie factors of the walk, as the kernel reads them. */
export function graphData(data: Interactions, p: ItemGraphParams, shared: boolean): GraphData {
  const copy = (a: Int32Array): Int32Array => {
    if (!shared) return a;
    const out = new Int32Array(new SharedArrayBuffer(a.byteLength));
    out.set(a);
    return out;
  };
  const floats = (n: number) => new Float64Array(shared ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(n * 8));
  const userStep = floats(data.users.size);
  for (let u = 0; u < data.users.size; u++) {
    const n = data.userPtr[u + 1] - data.userPtr[u];
    userStep[u] = n > 0 ? Math.pow(1 / n, p.alpha) : 0;
  }
  const movieStep = floats(data.movies.size);
  const arrival = floats(data.movies.size);
  for (let m = 0; m < data.movies.size; m++) {
    const n = data.moviePtr[m + 1] - data.moviePtr[m];
    movieStep[m] = n > 0 ? Math.pow(1 / n, p.alpha) : 0;
    arrival[m] = n > 0 ? Math.pow(n, -p.beta) : 0;
  }
  return {
    movies: data.movies.size,
    userPtr: copy(data.userPtr),
    userItems: copy(data.userItems),
    moviePtr: copy(data.moviePtr),
    movieUsers: copy(data.movieUsers),
    userStep,
    movieStep,
    arrival,
  };
}

async function runInThread(d: GraphData, k: number, options: ItemGraphTrainOptions): Promise<NeighbourHeaps> {
  const heaps = newHeaps(d.movies, k, false);
  const scratch = newGraphScratch(d.movies);
  let lastYield = Date.now();
  for (let i = 0; i < d.movies; i++) {
    pairsOfMovie(i, d, scratch, heaps);
    // Let timers and I/O run (and progress show) when a large set is fitted in this thread.
    if (Date.now() - lastYield > 50) {
      options.onProgress?.(i + 1, d.movies);
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      lastYield = Date.now();
    }
  }
  options.onProgress?.(d.movies, d.movies);
  return heaps;
}

async function runWorkers(d: GraphData, k: number, threads: number, options: ItemGraphTrainOptions): Promise<NeighbourHeaps[]> {
  const control = new Int32Array(new SharedArrayBuffer(4 * 4));
  const chunk = Math.max(1, Math.min(32, Math.floor(d.movies / (threads * 64))));
  const heaps = Array.from({ length: threads }, () => newHeaps(d.movies, k, true));
  const workerData: ItemGraphWorkerData = { data: d, heaps, control, chunk };
  const pool = new WorkerPool(new URL('./item-graph-worker.js', import.meta.url), threads, workerData);
  const timer = setInterval(() => options.onProgress?.(Atomics.load(control, 1), d.movies), 250);
  try {
    await pool.step(null, undefined, options.signal);
    options.onProgress?.(d.movies, d.movies);
    return heaps;
  } finally {
    clearInterval(timer);
    Atomics.store(control, 2, 1);
    await pool.close();
  }
}
