// Trains implicit-feedback ALS (ials-params.ts) on worker threads, the way benfred/implicit's
// `least_squares_cg` does: each half iteration computes YᵀY + λI of the fixed side once, then
// improves every row of the other side by a few conjugate-gradient steps warm-started from its
// last factors, touching only the row's own interactions. The interactions, their confidence
// weights and both factor matrices live in one shared WebAssembly memory (wasm-arena.ts) that
// every worker's SIMD kernels read in place; each phase is one step of the worker pool. A row's
// solve reads only the fixed side and its own row, so the result is the same for any thread count.
import { availableParallelism } from 'node:os';
import type { Interactions } from '../../data/interactions.js';
import { Random } from '../../../util/random.js';
import { ratingScale } from '../recommender.js';
import { createArena, f32View, i32View, planArena } from '../wasm-arena.js';
import { chunkRows, WorkerPool } from '../worker-pool.js';
import { baselineItemBias, IalsModel } from './ials.js';
import { cgScratchFloats, GATHER_MIN } from './ials-cg.js';
import { ialsObjective } from './ials-objective.js';
import { checkIalsParams, confidenceWeight, type IalsParams } from './ials-params.js';
import type { IalsArena, IalsDoneMessage, IalsSide, IalsTask, IalsWorkerData } from './ials-worker.js';
import type { RowsProgressMessage } from '../worker-rows.js';

export interface IalsProgress {
  /** 1-based. */
  iteration: number;
  iterations: number;
  phase: IalsSide;
  /** Rows of this phase solved so far, of `total`. */
  done: number;
  total: number;
  /** The objective after the iteration (ials-objective.ts), on the last report of each 'movies' phase when `loss` is asked. */
  loss?: number;
}

export interface IalsTrainOptions {
  /** Worker threads; default os.availableParallelism(). */
  threads?: number;
  onProgress?: (p: IalsProgress) => void;
  /** Stops training: the workers are terminated and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Computes the objective after each iteration (O(ratings × rank) in this thread). */
  loss?: boolean;
  /**
   * Starting factors (row-major, rank per row, in the matrix's index order) instead of the random
   * start: a warm start from an earlier model, or a test's known start.
   */
  initial?: { userFactors?: Float32Array; movieFactors?: Float32Array };
}

/** Factors start uniform in [0, 0.01), as benfred/implicit's. */
const INITIAL_SCALE = 0.01;
/** The longest row gathered (longer ones are read in place): 256k interactions, 64 MB a thread at rank 64. */
const GATHER_CAP = 1 << 18;

export async function trainIals(data: Interactions, params: IalsParams, options: IalsTrainOptions = {}): Promise<IalsModel> {
  const p = checkIalsParams(params);
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`trainIals: threads must be a positive whole number (got ${threads})`);
  if (data.count === 0) throw new Error('trainIals: no ratings to train on');
  options.signal?.throwIfAborted();

  const k = p.rank;
  // The kernels work in blocks of 16 floats; padding columns stay zero (their residual is 0).
  const kp = Math.ceil(k / 16) * 16;
  const nUsers = data.users.size;
  const nMovies = data.movies.size;
  const workers = Math.min(threads, Math.max(nUsers, nMovies, 1));
  const userChunks = chunkRows(data.userPtr, threads);
  const movieChunks = chunkRows(data.moviePtr, threads);
  // Each thread's buffer holds the longest row that is gathered (at most GATHER_CAP interactions).
  const longest = Math.max(longestRow(data.userPtr), longestRow(data.moviePtr));
  const bufferRows = longest >= GATHER_MIN ? Math.min(longest, GATHER_CAP) : 0;
  const layout = planArena<IalsArena>({
    userPtr: { kind: 'i32', length: data.userPtr.length },
    userItems: { kind: 'i32', length: data.userItems.length },
    userWeights: { kind: 'f32', length: data.userRatings.length },
    moviePtr: { kind: 'i32', length: data.moviePtr.length },
    movieUsers: { kind: 'i32', length: data.movieUsers.length },
    movieWeights: { kind: 'f32', length: data.movieRatings.length },
    userFactors: { kind: 'f32', length: nUsers * kp },
    movieFactors: { kind: 'f32', length: nMovies * kp },
    fixedGram: { kind: 'f32', length: kp * kp },
    userChunks: { kind: 'i32', length: userChunks.length },
    movieChunks: { kind: 'i32', length: movieChunks.length },
    counters: { kind: 'i32', length: 2 },
    scratch: { kind: 'f32', length: workers * cgScratchFloats(kp) },
    partialGrams: { kind: 'f64', length: workers * kp * kp },
    buffers: { kind: 'f32', length: workers * bufferRows * kp },
  });
  const memory = createArena(layout);
  i32View(memory, layout, 'userPtr').set(data.userPtr);
  i32View(memory, layout, 'userItems').set(data.userItems);
  i32View(memory, layout, 'moviePtr').set(data.moviePtr);
  i32View(memory, layout, 'movieUsers').set(data.movieUsers);
  i32View(memory, layout, 'userChunks').set(userChunks);
  i32View(memory, layout, 'movieChunks').set(movieChunks);
  fillWeights(f32View(memory, layout, 'userWeights'), data.userRatings, p);
  fillWeights(f32View(memory, layout, 'movieWeights'), data.movieRatings, p);
  const userRows = f32View(memory, layout, 'userFactors');
  const movieRows = f32View(memory, layout, 'movieFactors');
  const random = new Random(p.seed);
  initialise(movieRows, nMovies, k, kp, options.initial?.movieFactors, random, 'movieFactors');
  initialise(userRows, nUsers, k, kp, options.initial?.userFactors, random, 'userFactors');
  const fixedGram = f32View(memory, layout, 'fixedGram');
  const counter = i32View(memory, layout, 'counters');
  const shared: IalsWorkerData = { memory, layout, kp, cgSteps: p.cgSteps, bufferRows, nUsers, nMovies };

  const pool = new WorkerPool(new URL('./ials-worker.js', import.meta.url), workers, shared);
  try {
    for (let iteration = 1; iteration <= p.iterations; iteration++) {
      for (const phase of ['users', 'movies'] as const) {
        // YᵀY + λI of the fixed side, summed from the threads' parts in double precision.
        Atomics.store(counter, 0, 0);
        const parts = await pool.step<IalsDoneMessage['value']>({ task: 'gram', side: phase === 'users' ? 'movies' : 'users' } satisfies IalsTask, undefined, options.signal);
        writeGram(fixedGram, parts, kp, p.lambda);

        const total = phase === 'users' ? nUsers : nMovies;
        let done = 0;
        const report = (loss?: number) => options.onProgress?.({ iteration, iterations: p.iterations, phase, done, total, ...(loss !== undefined ? { loss } : {}) });
        Atomics.store(counter, 0, 0);
        await pool.step(
          { task: 'solve', side: phase } satisfies IalsTask,
          (m) => {
            done += (m as RowsProgressMessage).rows;
            if (done < total) report();
          },
          options.signal,
        );
        report(phase === 'movies' && options.loss === true ? ialsObjective(data, userRows, movieRows, k, kp, p) : undefined);
      }
    }
  } finally {
    await pool.close();
  }

  return IalsModel.fromFactors({
    userIds: data.users.ids,
    movieIds: data.movies.ids,
    // Copies out of the shared memory: the model owns ordinary memory.
    userFactors: unpad(userRows, nUsers, k, kp),
    movieFactors: unpad(movieRows, nMovies, k, kp),
    rank: k,
    globalMean: data.globalMean,
    itemBias: baselineItemBias(data),
    scale: ratingScale(data.userRatings),
    params: p,
  });
}

function longestRow(ptr: Int32Array): number {
  let longest = 0;
  for (let r = 0; r + 1 < ptr.length; r++) longest = Math.max(longest, ptr[r + 1] - ptr[r]);
  return longest;
}

function fillWeights(out: Float32Array, ratings: Float32Array, p: IalsParams): void {
  for (let i = 0; i < ratings.length; i++) out[i] = confidenceWeight(ratings[i], p);
}

function initialise(rows: Float32Array, n: number, k: number, kp: number, given: Float32Array | undefined, random: Random, what: string): void {
  if (given !== undefined && given.length !== n * k) throw new Error(`trainIals: initial ${what} has ${given.length} values, expected ${n} rows × rank ${k}`);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) rows[r * kp + c] = given !== undefined ? given[r * k + c] : random.next() * INITIAL_SCALE;
  }
}

/** The threads' upper triangles summed, mirrored, λ on the diagonal, into the shared f32 matrix. */
function writeGram(gram: Float32Array, parts: (Float64Array | null)[], kp: number, lambda: number): void {
  const sum = new Float64Array(kp * kp);
  for (const part of parts) if (part !== null) for (let i = 0; i < sum.length; i++) sum[i] += part[i];
  for (let i = 0; i < kp; i++) {
    for (let j = i; j < kp; j++) {
      gram[i * kp + j] = sum[i * kp + j];
      gram[j * kp + i] = sum[i * kp + j];
    }
    gram[i * kp + i] = sum[i * kp + i] + lambda;
  }
}

function unpad(rows: Float32Array, n: number, k: number, kp: number): Float32Array {
  if (k === kp) return rows.slice(0, n * k);
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++) out.set(rows.subarray(r * kp, r * kp + k), r * k);
  return out;
}
