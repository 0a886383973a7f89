// Trains an ALS model (explicit ratings, with biases: see als-solve.ts for the per-row system) on
// worker threads. The ratings and factors are copied once into SharedArrayBuffers; each half
// iteration is one step of the worker pool, the threads taking chunks of rows from a shared
// counter. Every row's solve reads only the other side's factors, fixed during the step, so the
// result is the same for any thread count.
import { availableParallelism } from 'node:os';
import type { Interactions } from '../../data/interactions.js';
import { Random } from '../../../util/random.js';
import { AlsModel } from './als.js';
import type { AlsDoneMessage, AlsPhase, AlsProgressMessage, AlsWorkerData } from './als-worker.js';
import { WorkerPool } from '../worker-pool.js';

export interface AlsParams {
  rank: number;
  iterations: number;
  /** Weighted-λ: a row with n ratings is regularised by λ·n. */
  lambda: number;
  seed: number;
  /** The same weighting for the bias term; default `lambda`. */
  biasLambda?: number;
}

export const DEFAULT_ALS_PARAMS: Readonly<AlsParams> = Object.freeze({ rank: 20, iterations: 10, lambda: 0.1, seed: 42 });

export interface AlsProgress {
  /** 1-based. */
  iteration: number;
  iterations: number;
  phase: AlsPhase;
  /** Rows of this phase solved so far, of `total`. */
  done: number;
  total: number;
  /** Training RMSE after the iteration (on the last report of each 'movies' phase). */
  loss?: number;
}

export interface AlsTrainOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  onProgress?: (p: AlsProgress) => void;
  /** Stops training: the workers are terminated and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A chunk of work: at most this many rows … */
const CHUNK_ROWS = 1024;
/** … or about this many ratings, so one popular movie does not hold a thread while others idle … */
const CHUNK_RATINGS = 20_000;
/** … and at least this many chunks per thread, so small data is spread too. */
const CHUNKS_PER_THREAD = 8;

export async function trainAls(data: Interactions, params: AlsParams, options: AlsTrainOptions = {}): Promise<AlsModel> {
  const p = checkParams(params);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`trainAls: threads must be a positive integer (got ${threads})`);
  if (data.count === 0) throw new Error('trainAls: no ratings to train on');
  options.signal?.throwIfAborted();

  const k = p.rank;
  const nUsers = data.users.size;
  const nMovies = data.movies.size;
  const shared: AlsWorkerData = {
    rank: k,
    lambda: p.lambda,
    biasLambda: p.biasLambda,
    globalMean: data.globalMean,
    userPtr: toShared(data.userPtr),
    userItems: toShared(data.userItems),
    userRatings: toShared(data.userRatings),
    moviePtr: toShared(data.moviePtr),
    movieUsers: toShared(data.movieUsers),
    movieRatings: toShared(data.movieRatings),
    userFactors: new Float32Array(new SharedArrayBuffer(nUsers * k * 4)),
    movieFactors: new Float32Array(new SharedArrayBuffer(nMovies * k * 4)),
    userBias: new Float32Array(new SharedArrayBuffer(nUsers * 4)),
    movieBias: new Float32Array(new SharedArrayBuffer(nMovies * 4)),
    userChunks: chunkRows(data.userPtr, threads),
    movieChunks: chunkRows(data.moviePtr, threads),
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  // Small random movie factors (|q| ≈ 1) and zero biases; users are solved first, so their
  // starting values never matter.
  const random = new Random(p.seed);
  for (let i = 0; i < shared.movieFactors.length; i++) shared.movieFactors[i] = random.normal(0, 1 / Math.sqrt(k));

  const pool = new WorkerPool(new URL('./als-worker.js', import.meta.url), Math.min(threads, Math.max(nUsers, nMovies, 1)), shared);
  try {
    for (let iteration = 1; iteration <= p.iterations; iteration++) {
      for (const phase of ['users', 'movies'] as const) {
        const total = phase === 'users' ? nUsers : nMovies;
        let done = 0;
        const report = (loss?: number) =>
          options.onProgress?.({ iteration, iterations: p.iterations, phase, done, total, ...(loss !== undefined ? { loss } : {}) });
        Atomics.store(shared.counter, 0, 0);
        const results = await pool.step<AlsDoneMessage['value']>(
          phase,
          (m) => {
            done += (m as AlsProgressMessage).rows;
            if (done < total) report();
          },
          options.signal,
        );
        const sse = results.reduce((sum, r) => sum + r.sse, 0);
        report(phase === 'movies' ? Math.sqrt(sse / data.count) : undefined);
      }
    }
  } finally {
    await pool.close();
  }

  return AlsModel.fromFactors({
    userIds: data.users.ids,
    movieIds: data.movies.ids,
    // Copies out of the shared buffers: the model owns ordinary memory.
    userFactors: shared.userFactors.slice(),
    movieFactors: shared.movieFactors.slice(),
    userBias: shared.userBias.slice(),
    movieBias: shared.movieBias.slice(),
    rank: k,
    globalMean: data.globalMean,
    scale: ratingScale(data.userRatings),
    params: { ...p },
  });
}

function checkParams(params: AlsParams): Required<AlsParams> {
  const { rank, iterations, lambda, seed } = params;
  const biasLambda = params.biasLambda ?? lambda;
  if (!Number.isInteger(rank) || rank < 1) throw new Error(`trainAls: rank must be a positive integer (got ${rank})`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`trainAls: iterations must be a positive integer (got ${iterations})`);
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new Error(`trainAls: lambda must be a positive number (got ${lambda})`);
  if (!(biasLambda >= 0) || !Number.isFinite(biasLambda)) throw new Error(`trainAls: biasLambda must be a number >= 0 (got ${biasLambda})`);
  if (!Number.isInteger(seed)) throw new Error(`trainAls: seed must be an integer (got ${seed})`);
  return { rank, iterations, lambda, seed, biasLambda };
}

/** Row boundaries of the work chunks of one side (see CHUNK_ROWS). */
export function chunkRows(ptr: Int32Array, threads: number): Int32Array {
  const rows = ptr.length - 1;
  const spread = threads * CHUNKS_PER_THREAD;
  const maxRows = Math.min(CHUNK_ROWS, Math.max(1, Math.ceil(rows / spread)));
  const maxRatings = Math.min(CHUNK_RATINGS, Math.max(1, Math.ceil(ptr[rows] / spread)));
  const bounds = [0];
  let start = 0;
  for (let r = 0; r < rows; r++) {
    if (r + 1 - start >= maxRows || ptr[r + 1] - ptr[start] >= maxRatings) {
      bounds.push(r + 1);
      start = r + 1;
    }
  }
  if (start < rows) bounds.push(rows);
  return toShared(Int32Array.from(bounds));
}

/** The array itself when it is already shared, else a copy in a SharedArrayBuffer. */
function toShared<T extends Int32Array | Float32Array>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

function ratingScale(ratings: Float32Array): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ratings.length; i++) {
    const r = ratings[i];
    if (r < min) min = r;
    if (r > max) max = r;
  }
  return min < max ? { min, max } : { min: min - 0.5, max: max + 0.5 };
}
