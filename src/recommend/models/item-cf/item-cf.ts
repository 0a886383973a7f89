// Item-based collaborative filtering: each movie keeps its K most similar movies (cosine or
// adjusted cosine over the users' ratings, shrunk toward 0 when few users rated both); a user is
// scored from the neighbours of the movies they rated. Training runs the kernel of
// item-cf-kernel.ts in worker threads over SharedArrayBuffers; serving reads the stored lists.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Interactions } from '../../data/interactions.js';
import { arrayOf, CorruptArtefactError } from '../array-file.js';
import { mergeHeaps, newHeaps, newScratch, pairsOfMovie, type KernelData, type KernelParams, type NeighbourHeaps } from './item-cf-kernel.js';
import type { ItemCfWorkerData } from './item-cf-worker.js';
import { CallScratch } from '../item-item/call-scratch.js';
import { loadedState, openItemItemFile, writeItemItemFile, type ItemItemArtefact } from '../item-item/item-item-file.js';
import { ItemItemModel, trainedState, type ItemItemState } from '../item-item/item-item-model.js';
import { checkNeighbourRows, rowNeighbours } from '../item-item/neighbour-rows.js';
import { topScored } from '../item-item/top-scored.js';
import { clamp, type RecommendOptions, type Scored, type UserHistory } from '../recommender.js';

export interface ItemCfParams {
  /**
   * 'cosine': the cosine of two movies' rating vectors over all users (a missing rating is 0).
   * 'adjusted-cosine': the same after subtracting each user's mean rating from their ratings.
   * Norms are taken over every user who rated the movie, not only the common ones, so a pair
   * with little overlap is already damped before shrinkage.
   */
  similarity: 'cosine' | 'adjusted-cosine';
  /** Pairs rated by fewer users in common are not neighbours. */
  minCommonUsers: number;
  /** sim × n_common / (n_common + shrinkage). */
  shrinkage: number;
  /** Neighbours kept per movie (the K most similar with a positive similarity). */
  neighbours: number;
}

export const DEFAULT_ITEMCF_PARAMS: ItemCfParams = { similarity: 'adjusted-cosine', minCommonUsers: 5, shrinkage: 100, neighbours: 50 };

export interface ItemCfTrainOptions {
  /** Worker threads; 1 runs in this thread. Default: 1 for small data, else the cores available. */
  threads?: number;
  /** Movies done of the total, a few times a second. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Damping of the user bias (pseudo-ratings at the global mean), as in Koren's baseline predictors (the item biases: baseline-predictor.ts). */
const USER_BIAS_DAMPING = 10;
/** Pseudo-ratings at the global mean in the centre a user's ratings are weighted from in recommend(). */
const CENTRE_DAMPING = 5;
const SMALL_DATA = 200_000;

const ARTEFACT: ItemItemArtefact = { format: 'itemcf', version: 1, file: 'itemcf.bin', what: 'an item-CF model' };

export function validateItemCfParams(params: Partial<ItemCfParams>): ItemCfParams {
  const p = { ...DEFAULT_ITEMCF_PARAMS, ...params };
  if (p.similarity !== 'cosine' && p.similarity !== 'adjusted-cosine') throw new Error(`item-CF: similarity must be 'cosine' or 'adjusted-cosine', got ${String(p.similarity)}`);
  if (!Number.isInteger(p.minCommonUsers) || p.minCommonUsers < 1) throw new Error(`item-CF: minCommonUsers must be an integer >= 1, got ${p.minCommonUsers}`);
  if (!Number.isFinite(p.shrinkage) || p.shrinkage < 0) throw new Error(`item-CF: shrinkage must be a number >= 0, got ${p.shrinkage}`);
  if (!Number.isInteger(p.neighbours) || p.neighbours < 1) throw new Error(`item-CF: neighbours must be an integer >= 1, got ${p.neighbours}`);
  return p;
}

export async function trainItemCf(data: Interactions, params: Partial<ItemCfParams> = {}, options: ItemCfTrainOptions = {}): Promise<ItemCfModel> {
  const p = validateItemCfParams(params);
  const threads = options.threads ?? (data.count < SMALL_DATA ? 1 : availableParallelism());
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`item-CF: threads must be an integer >= 1, got ${threads}`);
  options.signal?.throwIfAborted();
  const shared = threads > 1;
  const kernelData = kernelInput(data, p.similarity === 'adjusted-cosine', shared);
  const kp: KernelParams = { minCommonUsers: p.minCommonUsers, shrinkage: p.shrinkage, neighbours: p.neighbours };
  const parts = shared ? await runWorkers(kernelData, kp, threads, options) : await runInThread(kernelData, kp, options);
  const lists = mergeHeaps(data.movies.size, p.neighbours, parts);
  return new ItemCfModel({
    ...trainedState(data, p),
    nbrPtr: lists.ptr,
    nbrIds: lists.ids,
    nbrSims: lists.sims,
  });
}

/** The kernel's arrays: the by-user values (centred for adjusted cosine) and per-movie norms. */
function kernelInput(data: Interactions, centred: boolean, shared: boolean): KernelData {
  const copy = <T extends Int32Array | Float32Array>(a: T, Ctor: new (b: ArrayBufferLike) => T): T => {
    if (!shared) return a;
    const out = new Ctor(new SharedArrayBuffer(a.byteLength));
    out.set(a as never);
    return out;
  };
  const nRatings = data.userItems.length;
  const values = new Float32Array(shared ? new SharedArrayBuffer(nRatings * 4) : new ArrayBuffer(nRatings * 4));
  const norms = new Float64Array(shared ? new SharedArrayBuffer(data.movies.size * 8) : new ArrayBuffer(data.movies.size * 8));
  const { userPtr, userItems, userRatings } = data;
  for (let u = 0; u < data.users.size; u++) {
    const from = userPtr[u];
    const to = userPtr[u + 1];
    let mean = 0;
    if (centred && to > from) {
      for (let k = from; k < to; k++) mean += userRatings[k];
      mean /= to - from;
    }
    for (let k = from; k < to; k++) {
      const v = userRatings[k] - mean;
      values[k] = v;
      norms[userItems[k]] += v * v;
    }
  }
  for (let m = 0; m < norms.length; m++) norms[m] = Math.sqrt(norms[m]);
  return {
    movies: data.movies.size,
    userPtr: copy(data.userPtr, Int32Array),
    userItems: copy(data.userItems, Int32Array),
    values,
    moviePtr: copy(data.moviePtr, Int32Array),
    movieUsers: copy(data.movieUsers, Int32Array),
    norms,
  };
}

async function runInThread(d: KernelData, p: KernelParams, options: ItemCfTrainOptions): Promise<NeighbourHeaps[]> {
  const heaps = newHeaps(d.movies, p.neighbours, false);
  const scratch = newScratch(d.movies);
  const chunk = 64;
  let lastYield = Date.now();
  for (let from = 0; from < d.movies; from += chunk) {
    const to = Math.min(from + chunk, d.movies);
    for (let i = from; i < to; i++) pairsOfMovie(i, d, p, scratch, heaps);
    options.onProgress?.(to, d.movies);
    // Let timers and I/O run when a large set is trained in this thread.
    if (Date.now() - lastYield > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
    options.signal?.throwIfAborted();
  }
  return [heaps];
}

function runWorkers(d: KernelData, p: KernelParams, threads: number, options: ItemCfTrainOptions): Promise<NeighbourHeaps[]> {
  const control = new Int32Array(new SharedArrayBuffer(3 * 4));
  const chunk = Math.max(1, Math.min(32, Math.floor(d.movies / (threads * 64))));
  const parts = Array.from({ length: threads }, () => newHeaps(d.movies, p.neighbours, true));
  const workers: Worker[] = [];
  return new Promise<NeighbourHeaps[]>((resolve, reject) => {
    let running = threads;
    let settled = false;
    const timer = setInterval(() => options.onProgress?.(Atomics.load(control, 1), d.movies), 250);
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        Atomics.store(control, 2, 1);
        for (const w of workers) void w.terminate();
        reject(err);
      } else {
        options.onProgress?.(d.movies, d.movies);
        resolve(parts);
      }
    };
    const onAbort = () => finish(options.signal!.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    for (const heaps of parts) {
      const workerData: ItemCfWorkerData = { data: d, params: p, heaps, control, chunk };
      const worker = new Worker(new URL('./item-cf-worker.js', import.meta.url), { workerData });
      workers.push(worker);
      let done = false;
      worker.on('message', (m) => {
        if (m !== 'done') return;
        done = true;
        if (--running === 0) finish();
      });
      worker.on('error', (err) => finish(new Error(`item-CF worker failed: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => {
        if (!done) finish(new Error(`item-CF worker exited with code ${code} before finishing`));
      });
    }
  });
}

interface ItemCfState extends ItemItemState<ItemCfParams> {
  /** Neighbour lists by dense movie index: nbrIds[nbrPtr[m]..nbrPtr[m+1]), best first. */
  nbrPtr: Int32Array;
  nbrIds: Int32Array;
  nbrSims: Float32Array;
}

/**
 * Fallbacks, never an exception:
 * - predict, unknown movie: the mean of the user's history, or μ when the history is empty;
 * - predict, no neighbour of the movie in the history: the baseline μ + b_u + b_i;
 * - recommend, no history movie with neighbours (an unknown or new user): [], so the caller's
 *   popularity fallback answers and reports it (as the recommendation service does);
 * - similar, unknown movie: [].
 */
export class ItemCfModel extends ItemItemModel<ItemCfState> {
  readonly name = 'itemcf' as const;
  /** By dense movie index. */
  private readonly scratch: CallScratch;
  /** The history's rating of each movie `markHistory` marked rated (the last when listed twice). */
  private readonly ratedValue: Float32Array;

  constructor(state: ItemCfState) {
    super(state);
    const m = state.movies.size;
    this.scratch = new CallScratch(m);
    this.ratedValue = new Float32Array(m);
  }

  /** How many movies have at least one neighbour. */
  get moviesWithNeighbours(): number {
    let n = 0;
    for (let m = 0; m < this.s.movies.size; m++) if (this.s.nbrPtr[m + 1] > this.s.nbrPtr[m]) n++;
    return n;
  }

  /**
   * baseline(u, i) + Σ sim(i, j)·(r_uj − baseline(u, j)) / Σ|sim(i, j)| over the neighbours j of i
   * the user rated, where baseline(u, i) = μ + b_u + b_i and b_u = Σ(r − μ − b_j) / (n + 10) over
   * the history given (so fresh ratings count). Clamped to the training scale.
   */
  override predict(user: UserHistory, movieId: number): number {
    const { s } = this;
    const target = s.movies.index(movieId);
    const n = user.movies.length;
    if (target < 0) {
      if (n === 0) return clamp(s.globalMean, this.scale);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += user.ratings[k];
      return clamp(sum / n, this.scale);
    }
    return this.predictMarked(target, this.markHistory(user).userBias);
  }

  /** `predict` for each movie, the history marked once. */
  predictMany(user: UserHistory, movieIds: ArrayLike<number>): Float64Array {
    const out = new Float64Array(movieIds.length);
    let bu: number | undefined;
    for (let i = 0; i < movieIds.length; i++) {
      const target = this.s.movies.index(movieIds[i]);
      // An unknown movie's prediction reads the history only (no marks).
      if (target < 0) out[i] = this.predict(user, movieIds[i]);
      else out[i] = this.predictMarked(target, (bu ??= this.markHistory(user).userBias));
    }
    return out;
  }

  /** predict's known-movie case, the history marked by `markHistory` (which gave `bu`). */
  private predictMarked(target: number, bu: number): number {
    const { s } = this;
    const mu = s.globalMean;
    let num = 0;
    let den = 0;
    for (let k = s.nbrPtr[target]; k < s.nbrPtr[target + 1]; k++) {
      const j = s.nbrIds[k];
      if (!this.scratch.isRated(j)) continue;
      const sim = s.nbrSims[k];
      num += sim * (this.ratedValue[j] - (mu + bu + s.itemBias[j]));
      den += Math.abs(sim);
    }
    const base = mu + bu + s.itemBias[target];
    return clamp(den > 0 ? base + num / den : base, this.scale);
  }

  /**
   * score(j) = Σ sim(i, j)·(r_ui − c_u) over the history movies i that have j as a neighbour,
   * where c_u is the user's mean rating damped toward μ by 5 pseudo-ratings (so a user with one
   * rating, or all equal ones, still gets a direction). Only movies reached that way are ranked;
   * with `candidates`, the known candidates are scored (0 when no history movie reaches them).
   * [] when no history movie has neighbours.
   */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    const { s, scratch } = this;
    if (!(n >= 1)) return [];
    const { centre } = this.markHistory(user);
    for (let h = 0; h < user.movies.length; h++) {
      const i = s.movies.index(user.movies[h]);
      if (i < 0) continue;
      const w = user.ratings[h] - centre;
      for (let k = s.nbrPtr[i]; k < s.nbrPtr[i + 1]; k++) scratch.add(s.nbrIds[k], s.nbrSims[k] * w);
    }
    if (scratch.touched.length === 0) return [];
    return topScored({ n, options, index: s.movies, scratch, kernel: 'sparse' });
  }

  /**
   * The movie's kept neighbours, best first; score = their similarity as trained: the cosine (or
   * adjusted cosine) of the two movies' rating vectors times n / (n + shrinkage) for n common users,
   * in (0, 1] (only positive similarities are kept) — the plain cosine with shrinkage 0.
   */
  similar(movieId: number, n: number): Scored[] {
    const { s } = this;
    const m = s.movies.index(movieId);
    if (m < 0 || n <= 0) return [];
    return rowNeighbours(s.nbrPtr, s.nbrIds, s.movies.ids, m, n, (k) => Math.min(1, s.nbrSims[k]));
  }

  /** Starts a call and marks the history's known movies rated, with their ratings; returns the user's bias and recommend's centre. */
  private markHistory(user: UserHistory): { userBias: number; centre: number } {
    const { s, scratch } = this;
    scratch.begin();
    const mu = s.globalMean;
    let residual = 0;
    let sum = 0;
    const n = user.movies.length;
    for (let h = 0; h < n; h++) {
      const r = user.ratings[h];
      const i = s.movies.index(user.movies[h]);
      sum += r;
      if (i >= 0) {
        scratch.markRated(i);
        this.ratedValue[i] = r;
        residual += r - mu - s.itemBias[i];
      } else {
        residual += r - mu;
      }
    }
    return { userBias: residual / (n + USER_BIAS_DAMPING), centre: (sum + CENTRE_DAMPING * mu) / (n + CENTRE_DAMPING) };
  }

  /** Writes `<dir>/itemcf.bin`; returns the files written. */
  save(dir: string): string[] {
    const { s } = this;
    return writeItemItemFile(dir, ARTEFACT, s, { nbrPtr: s.nbrPtr, nbrIds: s.nbrIds, nbrSims: s.nbrSims });
  }

  /** Reads `<dir>/itemcf.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): ItemCfModel {
    const { path, file } = openItemItemFile<ItemCfParams>(dir, ARTEFACT);
    const movies = arrayOf(file, 'movies', Int32Array, path);
    const nbrPtr = arrayOf(file, 'nbrPtr', Int32Array, path);
    const nbrIds = arrayOf(file, 'nbrIds', Int32Array, path);
    const nbrSims = arrayOf(file, 'nbrSims', Float32Array, path);
    const itemBias = arrayOf(file, 'itemBias', Float32Array, path);
    if (itemBias.length !== movies.length) throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    checkNeighbourRows(path, movies.length, nbrPtr, nbrIds, nbrSims);
    return new ItemCfModel({ ...loadedState(path, file, movies, itemBias), nbrPtr, nbrIds, nbrSims });
  }
}
