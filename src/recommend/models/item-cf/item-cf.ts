// Item-based collaborative filtering: each movie keeps its K most similar movies (cosine or
// adjusted cosine over the users' ratings, shrunk toward 0 when few users rated both); a user is
// scored from the neighbours of the movies they rated. Training runs the kernel of
// item-cf-kernel.ts in worker threads over SharedArrayBuffers; serving reads the stored lists.
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { IdIndex, type Interactions } from '../../data/interactions.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from '../array-file.js';
import { mergeHeaps, newHeaps, newScratch, pairsOfMovie, type KernelData, type KernelParams, type NeighbourHeaps } from './item-cf-kernel.js';
import type { ItemCfWorkerData } from './item-cf-worker.js';
import { itemBiases } from '../baseline-predictor.js';
import { ratingScale } from '../popularity/popularity.js';
import { clamp, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';

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

const FORMAT = 'itemcf';
const VERSION = 1;

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
    params: p,
    users: data.users,
    movies: data.movies,
    globalMean: data.globalMean,
    scale: ratingScale(data.userRatings),
    itemBias: itemBiases(data),
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

interface ItemCfState {
  params: ItemCfParams;
  users: IdIndex;
  movies: IdIndex;
  globalMean: number;
  scale: { min: number; max: number };
  /** Damped item biases b_i of the baseline μ + b_u + b_i. */
  itemBias: Float32Array;
  /** Neighbour lists by dense movie index: nbrIds[nbrPtr[m]..nbrPtr[m+1]), best first. */
  nbrPtr: Int32Array;
  nbrIds: Int32Array;
  nbrSims: Float32Array;
}

interface ItemCfMeta {
  format: string;
  version: number;
  params: ItemCfParams;
  globalMean: number;
  scale: { min: number; max: number };
}

/**
 * Fallbacks, never an exception:
 * - predict, unknown movie: the mean of the user's history, or μ when the history is empty;
 * - predict, no neighbour of the movie in the history: the baseline μ + b_u + b_i;
 * - recommend, no history movie with neighbours (an unknown or new user): [], so the caller's
 *   popularity fallback answers and reports it (as the recommendation service does);
 * - similar, unknown movie: [].
 */
export class ItemCfModel implements Recommender {
  readonly name = 'itemcf' as const;
  readonly scale: { min: number; max: number };
  readonly params: ItemCfParams;
  private readonly s: ItemCfState;
  // Per-call scratch by dense movie index; an entry counts only when its stamp is the call's epoch,
  // so nothing is cleared between calls.
  private epoch = 0;
  private readonly ratedStamp: Int32Array;
  private readonly ratedValue: Float32Array;
  private readonly scoreStamp: Int32Array;
  private readonly score: Float64Array;

  constructor(state: ItemCfState) {
    this.s = state;
    this.scale = state.scale;
    this.params = state.params;
    const m = state.movies.size;
    this.ratedStamp = new Int32Array(m);
    this.ratedValue = new Float32Array(m);
    this.scoreStamp = new Int32Array(m);
    this.score = new Float64Array(m);
  }

  knowsUser(userId: number): boolean {
    return this.s.users.index(userId) >= 0;
  }

  knowsMovie(movieId: number): boolean {
    return this.s.movies.index(movieId) >= 0;
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
  predict(user: UserHistory, movieId: number): number {
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
      if (this.ratedStamp[j] !== this.epoch) continue;
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
    const { s } = this;
    if (!(n >= 1)) return [];
    const { centre } = this.markHistory(user);
    const epoch = this.epoch;
    const touched: number[] = [];
    for (let h = 0; h < user.movies.length; h++) {
      const i = s.movies.index(user.movies[h]);
      if (i < 0) continue;
      const w = user.ratings[h] - centre;
      for (let k = s.nbrPtr[i]; k < s.nbrPtr[i + 1]; k++) {
        const j = s.nbrIds[k];
        if (this.scoreStamp[j] !== epoch) {
          this.scoreStamp[j] = epoch;
          this.score[j] = 0;
          touched.push(j);
        }
        this.score[j] += s.nbrSims[k] * w;
      }
    }
    if (touched.length === 0) return [];
    const top = new TopN(Math.floor(n));
    const exclude = options.exclude;
    const consider = (j: number, score: number) => {
      // Below the n-th best (the heap's threshold) a movie cannot enter: skip the lookups.
      if (score < top.threshold || this.ratedStamp[j] === epoch) return;
      const id = s.movies.ids[j];
      if (exclude !== undefined && exclude(id)) return;
      top.offer(id, score);
    };
    if (options.candidates !== undefined) {
      for (const id of options.candidates) {
        const j = s.movies.index(id);
        if (j >= 0) consider(j, this.scoreStamp[j] === epoch ? this.score[j] : 0);
      }
    } else {
      for (const j of touched) consider(j, this.score[j]);
    }
    return top.result();
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
    const out: Scored[] = [];
    for (let k = s.nbrPtr[m]; k < s.nbrPtr[m + 1] && out.length < n; k++) out.push({ movieId: s.movies.ids[s.nbrIds[k]], score: Math.min(1, s.nbrSims[k]) });
    return out;
  }

  /** Stamps the history's known movies with a new epoch; returns the user's bias and recommend's centre. */
  private markHistory(user: UserHistory): { userBias: number; centre: number } {
    const { s } = this;
    if (this.epoch === 0x7fffffff) {
      this.epoch = 0;
      this.ratedStamp.fill(0);
      this.scoreStamp.fill(0);
    }
    const epoch = ++this.epoch;
    const mu = s.globalMean;
    let residual = 0;
    let sum = 0;
    const n = user.movies.length;
    for (let h = 0; h < n; h++) {
      const r = user.ratings[h];
      const i = s.movies.index(user.movies[h]);
      sum += r;
      if (i >= 0) {
        this.ratedStamp[i] = epoch;
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
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'itemcf.bin');
    const { s } = this;
    const meta: ItemCfMeta = { format: FORMAT, version: VERSION, params: s.params, globalMean: s.globalMean, scale: s.scale };
    writeArrayFile(path, meta, {
      users: s.users.ids,
      movies: s.movies.ids,
      itemBias: s.itemBias,
      nbrPtr: s.nbrPtr,
      nbrIds: s.nbrIds,
      nbrSims: s.nbrSims,
    });
    return [path];
  }

  /** Reads `<dir>/itemcf.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): ItemCfModel {
    const path = join(dir, 'itemcf.bin');
    const file = readArrayFile<ItemCfMeta>(path);
    const meta = file.meta;
    if (meta?.format !== FORMAT || meta.version !== VERSION) throw new CorruptArtefactError(`${path}: not an item-CF model (format ${String(meta?.format)} v${String(meta?.version)})`);
    const movies = arrayOf(file, 'movies', Int32Array, path);
    const nbrPtr = arrayOf(file, 'nbrPtr', Int32Array, path);
    const nbrIds = arrayOf(file, 'nbrIds', Int32Array, path);
    const nbrSims = arrayOf(file, 'nbrSims', Float32Array, path);
    const itemBias = arrayOf(file, 'itemBias', Float32Array, path);
    if (nbrPtr.length !== movies.length + 1 || itemBias.length !== movies.length || nbrSims.length !== nbrIds.length || nbrPtr[movies.length] !== nbrIds.length) {
      throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    }
    for (let k = 0; k < nbrIds.length; k++) {
      if (nbrIds[k] < 0 || nbrIds[k] >= movies.length) throw new CorruptArtefactError(`${path}: neighbour index ${nbrIds[k]} out of range`);
    }
    return new ItemCfModel({
      params: meta.params,
      users: new IdIndex(arrayOf(file, 'users', Int32Array, path)),
      movies: new IdIndex(movies),
      globalMean: meta.globalMean,
      scale: meta.scale,
      itemBias,
      nbrPtr,
      nbrIds,
      nbrSims,
    });
  }
}
