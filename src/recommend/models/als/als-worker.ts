/**
 * An ALS training thread. Everything large (the ratings both ways, both factor matrices) lives in
 * one shared WebAssembly memory laid out by the trainer (als-train.ts); each step ('users' or
 * 'movies') the threads take chunks of rows from a shared atomic counter and solve them in place.
 * A row's Gram matrix is built by the SIMD kernels tile by tile (single precision within a tile of
 * ALS_TILE ratings, double precision across tiles) and solved by RowSolver. A row's solve reads only
 * the other side's factors, so the result does not depend on who solved what.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ALS_TILE, RowSolver } from './als-solve.js';
import { instantiateKernels } from '../simd-kernels.js';
import { f32View, i32View, type ArenaLayout } from '../wasm-arena.js';
import type { WasmMemory } from '../wasm-assembler.js';
import type { StepDone } from '../worker-pool.js';
import { solveRowChunks } from '../worker-rows.js';

/** The arrays of an ALS training's shared memory. Factor rows are [factors (rank), 1, bias, 0 …], stride kp. */
export type AlsArena =
  | 'userPtr' | 'userItems' | 'userRatings' | 'moviePtr' | 'movieUsers' | 'movieRatings'
  | 'userFactors' | 'movieFactors' | 'userChunks' | 'movieChunks' | 'counters' | 'tiles' | 'rowGrams' | 'systems' | 'solutions';

export interface AlsWorkerData {
  memory: WasmMemory;
  layout: ArenaLayout<AlsArena>;
  rank: number;
  /** The factor rows' stride: rank + 2 rounded up to a multiple of 4. */
  kp: number;
  lambda: number;
  biasLambda: number;
  globalMean: number;
}

export type AlsPhase = 'users' | 'movies';
export type AlsDoneMessage = StepDone<{ sse: number }>;

const data = workerData as AlsWorkerData;
const { memory, layout, rank, kp } = data;
const kernels = instantiateKernels(memory);
const counters = i32View(memory, layout, 'counters');
// counters[0]: the next chunk of the step; counters[1]: hands out each thread's scratch slot.
const slot = Atomics.add(counters, 1, 1);
// Each row's (rank + 1)-unknown system is solved by the WebAssembly Cholesky in this thread's slot.
const unknowns = rank + 1;
const systemAt = layout.arrays.systems.offset + slot * unknowns * unknowns * 8;
const solutionAt = layout.arrays.solutions.offset + slot * unknowns * 8;
const solver = new RowSolver(rank, data.lambda, data.biasLambda, data.globalMean, true, {
  system: new Float64Array(memory.buffer, systemAt, unknowns * unknowns),
  x: new Float64Array(memory.buffer, solutionAt, unknowns),
  solve: (d) => kernels.choleskySolve(systemAt, d, solutionAt) !== 0,
});
const tileAt = layout.arrays.tiles.offset + slot * ALS_TILE * kp * 4;
// The row's Gram matrix, in double precision, which the kernel adds each tile's part to.
const gramAt = layout.arrays.rowGrams.offset + slot * kp * kp * 8;
const gram = new Float64Array(memory.buffer, gramAt, kp * kp);
const kpBytes = kp * 4;
/** Byte offset in a factor row of the bias, which a gathered tile row replaces by the target. */
const targetAt = (rank + 1) * 4;

const sides = {
  users: side('userPtr', 'userItems', 'userRatings', 'movieFactors', 'userFactors', 'userChunks'),
  movies: side('moviePtr', 'movieUsers', 'movieRatings', 'userFactors', 'movieFactors', 'movieChunks'),
};

function side(ptr: AlsArena, cols: AlsArena, ratings: AlsArena, fixed: AlsArena, out: AlsArena, chunks: AlsArena) {
  return {
    ptr: i32View(memory, layout, ptr),
    colsAt: layout.arrays[cols].offset,
    ratingsAt: layout.arrays[ratings].offset,
    fixedAt: layout.arrays[fixed].offset,
    out: f32View(memory, layout, out),
    chunks: i32View(memory, layout, chunks),
  };
}

parentPort!.on('message', (phase: AlsPhase) => {
  const s = sides[phase];
  // The training error is reported after the movies, so only that pass sums it.
  const withError = phase === 'movies';
  let sse = 0;
  solveRowChunks(counters, s.chunks, (r) => {
    const start = s.ptr[r];
    const end = s.ptr[r + 1];
    gram.fill(0);
    for (let t = start; t < end; t += ALS_TILE) {
      const m = Math.min(ALS_TILE, end - t);
      kernels.gather(s.colsAt, s.ratingsAt, t, m, s.fixedAt, kpBytes, data.globalMean, targetAt, tileAt);
      kernels.gramUpper(tileAt, m, kpBytes, gramAt);
    }
    sse += solver.solveGram(gram, kp, end - start, withError);
    const x = solver.solution;
    const base = r * kp;
    for (let f = 0; f < rank; f++) s.out[base + f] = x[f];
    s.out[base + rank + 1] = x[rank];
  });
  parentPort!.postMessage({ kind: 'done', value: { sse } } satisfies AlsDoneMessage);
});
