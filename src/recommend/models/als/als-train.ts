// Trains an ALS model (explicit ratings, with biases: see als-solve.ts for the per-row system) on
// worker threads. The ratings and factors are copied once into one shared WebAssembly memory
// (wasm-arena.ts) that the workers' SIMD kernels read in place; each half iteration is one step of
// the worker pool, the threads taking chunks of rows from a shared counter. Every row's solve
// reads only the other side's factors, fixed during the step, so the result is the same for any
// thread count.
import { availableParallelism } from 'node:os';
import type { Interactions } from '../../data/interactions.js';
import { Random } from '../../../util/random.js';
import { AlsModel } from './als.js';
import { ALS_TILE } from './als-solve.js';
import type { AlsArena, AlsDoneMessage, AlsPhase, AlsWorkerData } from './als-worker.js';
import type { RowsProgressMessage } from '../worker-rows.js';
import { createArena, f32View, i32View, planArena } from '../wasm-arena.js';
import { chunkRows, WorkerPool } from '../worker-pool.js';

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

export async function trainAls(data: Interactions, params: AlsParams, options: AlsTrainOptions = {}): Promise<AlsModel> {
  const p = checkParams(params);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`trainAls: threads must be a positive integer (got ${threads})`);
  if (data.count === 0) throw new Error('trainAls: no ratings to train on');
  options.signal?.throwIfAborted();

  const k = p.rank;
  const kp = Math.ceil((k + 2) / 4) * 4;
  const nUsers = data.users.size;
  const nMovies = data.movies.size;
  const workers = Math.min(threads, Math.max(nUsers, nMovies, 1));
  const userChunks = chunkRows(data.userPtr, threads);
  const movieChunks = chunkRows(data.moviePtr, threads);
  const layout = planArena<AlsArena>({
    userPtr: { kind: 'i32', length: data.userPtr.length },
    userItems: { kind: 'i32', length: data.userItems.length },
    userRatings: { kind: 'f32', length: data.userRatings.length },
    moviePtr: { kind: 'i32', length: data.moviePtr.length },
    movieUsers: { kind: 'i32', length: data.movieUsers.length },
    movieRatings: { kind: 'f32', length: data.movieRatings.length },
    userFactors: { kind: 'f32', length: nUsers * kp },
    movieFactors: { kind: 'f32', length: nMovies * kp },
    userChunks: { kind: 'i32', length: userChunks.length },
    movieChunks: { kind: 'i32', length: movieChunks.length },
    counters: { kind: 'i32', length: 2 },
    tiles: { kind: 'f32', length: workers * ALS_TILE * kp },
    rowGrams: { kind: 'f64', length: workers * kp * kp },
    systems: { kind: 'f64', length: workers * (k + 1) * (k + 1) },
    solutions: { kind: 'f64', length: workers * (k + 1) },
  });
  const memory = createArena(layout);
  i32View(memory, layout, 'userPtr').set(data.userPtr);
  i32View(memory, layout, 'userItems').set(data.userItems);
  f32View(memory, layout, 'userRatings').set(data.userRatings);
  i32View(memory, layout, 'moviePtr').set(data.moviePtr);
  i32View(memory, layout, 'movieUsers').set(data.movieUsers);
  f32View(memory, layout, 'movieRatings').set(data.movieRatings);
  i32View(memory, layout, 'userChunks').set(userChunks);
  i32View(memory, layout, 'movieChunks').set(movieChunks);
  const userRows = f32View(memory, layout, 'userFactors');
  const movieRows = f32View(memory, layout, 'movieFactors');
  const counter = i32View(memory, layout, 'counters');
  // Rows are [factors, 1, bias, 0 …]: the constant 1 makes the bias a column of the other side's
  // Gram matrix. Small random movie factors (|q| ≈ 1) and zero biases; users are solved first, so
  // their starting values never matter.
  const random = new Random(p.seed);
  for (let m = 0; m < nMovies; m++) {
    for (let c = 0; c < k; c++) movieRows[m * kp + c] = random.normal(0, 1 / Math.sqrt(k));
    movieRows[m * kp + k] = 1;
  }
  for (let u = 0; u < nUsers; u++) userRows[u * kp + k] = 1;
  const shared: AlsWorkerData = { memory, layout, rank: k, kp, lambda: p.lambda, biasLambda: p.biasLambda, globalMean: data.globalMean };

  const pool = new WorkerPool(new URL('./als-worker.js', import.meta.url), workers, shared);
  try {
    for (let iteration = 1; iteration <= p.iterations; iteration++) {
      for (const phase of ['users', 'movies'] as const) {
        const total = phase === 'users' ? nUsers : nMovies;
        let done = 0;
        const report = (loss?: number) =>
          options.onProgress?.({ iteration, iterations: p.iterations, phase, done, total, ...(loss !== undefined ? { loss } : {}) });
        Atomics.store(counter, 0, 0);
        const results = await pool.step<AlsDoneMessage['value']>(
          phase,
          (m) => {
            done += (m as RowsProgressMessage).rows;
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

  // Copies out of the shared memory: the model owns ordinary memory.
  const users = unpack(userRows, nUsers, k, kp);
  const movies = unpack(movieRows, nMovies, k, kp);
  return AlsModel.fromFactors({
    userIds: data.users.ids,
    movieIds: data.movies.ids,
    userFactors: users.factors,
    movieFactors: movies.factors,
    userBias: users.bias,
    movieBias: movies.bias,
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

/** The factors (rank per row) and biases of rows stored [factors, 1, bias, 0 …] with stride kp. */
function unpack(rows: Float32Array, n: number, k: number, kp: number): { factors: Float32Array; bias: Float32Array } {
  const factors = new Float32Array(n * k);
  const bias = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    factors.set(rows.subarray(r * kp, r * kp + k), r * k);
    bias[r] = rows[r * kp + k + 1];
  }
  return { factors, bias };
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
