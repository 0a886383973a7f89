/**
 * An ALS training thread. Everything large (the ratings both ways, the factors and biases) lives
 * in SharedArrayBuffers handed over once in workerData; each step ('users' or 'movies') the
 * threads take chunks of rows from a shared atomic counter and solve them in place. A row's solve
 * reads only the other side's factors, so the result does not depend on who solved what.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RowSolver } from './als-solve.js';
import type { StepDone } from '../worker-pool.js';

export interface AlsWorkerData {
  rank: number;
  lambda: number;
  biasLambda: number;
  globalMean: number;
  userPtr: Int32Array;
  userItems: Int32Array;
  userRatings: Float32Array;
  moviePtr: Int32Array;
  movieUsers: Int32Array;
  movieRatings: Float32Array;
  userFactors: Float32Array;
  movieFactors: Float32Array;
  userBias: Float32Array;
  movieBias: Float32Array;
  /** Row boundaries of the work chunks of each side (chunk c is rows [c], [c+1]). */
  userChunks: Int32Array;
  movieChunks: Int32Array;
  /** The next chunk to take; reset to 0 by the main thread before each step. */
  counter: Int32Array;
}

export type AlsPhase = 'users' | 'movies';
export interface AlsProgressMessage {
  kind: 'progress';
  rows: number;
}
export type AlsDoneMessage = StepDone<{ sse: number }>;

const data = workerData as AlsWorkerData;
const solver = new RowSolver(data.rank, data.lambda, data.biasLambda, data.globalMean);

parentPort!.on('message', (phase: AlsPhase) => {
  const users = phase === 'users';
  const ptr = users ? data.userPtr : data.moviePtr;
  const cols = users ? data.userItems : data.movieUsers;
  const ratings = users ? data.userRatings : data.movieRatings;
  const fixedFactors = users ? data.movieFactors : data.userFactors;
  const fixedBias = users ? data.movieBias : data.userBias;
  const outFactors = users ? data.userFactors : data.movieFactors;
  const outBias = users ? data.userBias : data.movieBias;
  const chunks = users ? data.userChunks : data.movieChunks;
  let sse = 0;
  for (;;) {
    const c = Atomics.add(data.counter, 0, 1);
    if (c >= chunks.length - 1) break;
    const from = chunks[c];
    const to = chunks[c + 1];
    for (let r = from; r < to; r++) {
      sse += solver.solve(cols, ratings, ptr[r], ptr[r + 1], fixedFactors, fixedBias, outFactors, outBias, r);
    }
    parentPort!.postMessage({ kind: 'progress', rows: to - from } satisfies AlsProgressMessage);
  }
  parentPort!.postMessage({ kind: 'done', value: { sse } } satisfies AlsDoneMessage);
});
