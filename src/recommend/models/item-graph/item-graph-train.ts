// Fits RP3beta (Paudel et al. 2017, "Updatable, accurate, diverse, and scalable recommendations
// for interactive applications"; the variant of Dacrema et al.'s benchmark): a random walk of two
// steps on the bipartite user–movie graph of who rated what (every rating a watch, whatever its
// value), each step's probability raised to α, the arrival divided by the movie's popularity to
// the β, every row pruned to its heaviest `neighbours`. Worker threads over SharedArrayBuffers take
// chunks of movies, most rated first, each pair summed once (item-graph-kernel.ts), each thread
// keeping its own candidate lists, merged at the end: what lets it scale to MovieLens 20M.
import { availableParallelism } from 'node:os';
import type { Interactions } from '../../data/interactions.js';
import { trainedState } from '../item-item/item-item-model.js';
import { WorkerPool } from '../worker-pool.js';
import { validateItemGraphParams, type ItemGraphParams } from './item-graph-params.js';
import { finishRows, mergeRows, newCandidateRows, newGraphScratch, pairsOfMovie, selfWeight, type CandidateRows, type GraphData } from './item-graph-kernel.js';
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
  const rows = mergeRows(data.movies.size, k, parts);
  const self = new Float32Array(data.movies.size);
  for (let r = 0; r < self.length; r++) self[graph.original[r]] = selfWeight(r, graph);
  return new ItemGraphModel({
    ...trainedState(data, p),
    nbrPtr: rows.ptr,
    nbrIds: rows.ids,
    nbrWeights: rows.sims,
    selfWeight: self,
  });
}

/**
 * The matrix and the per-user and per-movie factors of the walk, as the kernel reads them: movies
 * renumbered by rating count, most rated first (ties by index; see item-graph-kernel.ts for why),
 * each user's row in the new numbering, still ascending.
 */
export function graphData(data: Interactions, p: ItemGraphParams, shared: boolean): GraphData {
  const ints = (n: number) => new Int32Array(shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4));
  const floats = (n: number) => new Float64Array(shared ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(n * 8));
  const movies = data.movies.size;
  const users = data.users.size;
  const raters = (m: number) => data.moviePtr[m + 1] - data.moviePtr[m];
  const original = ints(movies);
  for (let m = 0; m < movies; m++) original[m] = m;
  original.sort((a, b) => raters(b) - raters(a) || a - b);

  const moviePtr = ints(movies + 1);
  const movieUsers = ints(data.movieUsers.length);
  const movieStep = floats(movies);
  const arrival = floats(movies);
  for (let r = 0; r < movies; r++) {
    const m = original[r];
    const n = raters(m);
    movieUsers.set(data.movieUsers.subarray(data.moviePtr[m], data.moviePtr[m + 1]), moviePtr[r]);
    moviePtr[r + 1] = moviePtr[r] + n;
    movieStep[r] = n > 0 ? Math.pow(1 / n, p.alpha) : 0;
    arrival[r] = n > 0 ? Math.pow(n, -p.beta) : 0;
  }
  const userPtr = ints(users + 1);
  userPtr.set(data.userPtr);
  // Movies in increasing new index, each appended to its raters' rows: the rows come out ascending.
  const userItems = ints(data.userItems.length);
  const fill = data.userPtr.slice(0, users);
  for (let r = 0; r < movies; r++) for (let q = moviePtr[r]; q < moviePtr[r + 1]; q++) userItems[fill[movieUsers[q]]++] = r;
  const userStep = floats(users);
  for (let u = 0; u < users; u++) {
    const n = data.userPtr[u + 1] - data.userPtr[u];
    userStep[u] = n > 0 ? Math.pow(1 / n, p.alpha) : 0;
  }
  return { movies, original, userPtr, userItems, moviePtr, movieUsers, userStep, movieStep, arrival };
}

async function runInThread(d: GraphData, k: number, options: ItemGraphTrainOptions): Promise<CandidateRows> {
  const rows = newCandidateRows(d.movies, k, false);
  const scratch = newGraphScratch(d);
  let lastYield = Date.now();
  for (let i = 0; i < d.movies; i++) {
    pairsOfMovie(i, d, scratch, rows);
    // Let timers and I/O run (and progress show) when a large set is fitted in this thread.
    if (Date.now() - lastYield > 50) {
      options.onProgress?.(i + 1, d.movies);
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
      lastYield = Date.now();
    }
  }
  finishRows(rows);
  options.onProgress?.(d.movies, d.movies);
  return rows;
}

async function runWorkers(d: GraphData, k: number, threads: number, options: ItemGraphTrainOptions): Promise<CandidateRows[]> {
  const control = new Int32Array(new SharedArrayBuffer(4 * 4));
  const chunk = Math.max(1, Math.min(32, Math.floor(d.movies / (threads * 64))));
  const rows = Array.from({ length: threads }, () => newCandidateRows(d.movies, k, true));
  const workerData: ItemGraphWorkerData = { data: d, rows, control, chunk };
  const pool = new WorkerPool(new URL('./item-graph-worker.js', import.meta.url), threads, workerData);
  const timer = setInterval(() => options.onProgress?.(Atomics.load(control, 1), d.movies), 250);
  try {
    await pool.step(null, undefined, options.signal);
    options.onProgress?.(d.movies, d.movies);
    return rows;
  } finally {
    clearInterval(timer);
    Atomics.store(control, 2, 1);
    await pool.close();
  }
}
