/**
 * An implicit-ALS training thread over the shared memory the trainer laid out (ials-train.ts).
 * Two tasks, each a step of the worker pool with work taken in chunks from a shared counter:
 * - 'gram': this thread's share of FᵀF for the fixed side F (SIMD, single precision within a
 *   chunk of rows, double precision across chunks), returned for the trainer to add up;
 * - 'solve': conjugate-gradient steps for every row of the side being solved (ials-cg.ts).
 * A row's solve reads only the fixed side and its own row, so the result does not depend on who
 * solved what.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CgRowSolver, cgScratchFloats, type CgSide } from './ials-cg.js';
import { instantiateKernels } from '../simd-kernels.js';
import { i32View, type ArenaLayout } from '../wasm-arena.js';
import type { WasmMemory } from '../wasm-assembler.js';
import type { StepDone } from '../worker-pool.js';
import { solveRowChunks } from '../worker-rows.js';

/** The arrays of an iALS training's shared memory. Factor rows have stride kp (zero padding). */
export type IalsArena =
  | 'userPtr' | 'userItems' | 'userWeights' | 'moviePtr' | 'movieUsers' | 'movieWeights'
  | 'userFactors' | 'movieFactors' | 'fixedGram' | 'userChunks' | 'movieChunks' | 'counters' | 'scratch' | 'partialGrams' | 'buffers';

export interface IalsWorkerData {
  memory: WasmMemory;
  layout: ArenaLayout<IalsArena>;
  /** The factor rows' stride: rank rounded up to a multiple of 16 (the kernels' block). */
  kp: number;
  cgSteps: number;
  /** Rows of each thread's gather buffer (ials-cg.ts: GATHER_MIN). */
  bufferRows: number;
  nUsers: number;
  nMovies: number;
}

export type IalsSide = 'users' | 'movies';
export type IalsTask = { task: 'gram'; side: IalsSide } | { task: 'solve'; side: IalsSide };
/** 'gram' answers this thread's upper triangle of FᵀF (kp × kp, row-major); 'solve' null. */
export type IalsDoneMessage = StepDone<Float64Array | null>;

/** Rows of F per 'gram' chunk: 128 rows of kp ≤ 64 floats stay in L1. */
const GRAM_ROWS = 128;

const data = workerData as IalsWorkerData;
const { memory, layout, kp } = data;
const kernels = instantiateKernels(memory);
const counters = i32View(memory, layout, 'counters');
// counters[0]: the next chunk of the step; counters[1]: hands out each thread's scratch slot.
const slot = Atomics.add(counters, 1, 1);
const bufferRows = data.bufferRows;
const solver = new CgRowSolver(kernels, kp, layout.arrays.scratch.offset + slot * cgScratchFloats(kp) * 4, {
  at: layout.arrays.buffers.offset + slot * bufferRows * kp * 4,
  rows: bufferRows,
});
const gramAt = layout.arrays.partialGrams.offset + slot * kp * kp * 8;
const gram = new Float64Array(memory.buffer, gramAt, kp * kp);
const kpBytes = kp * 4;
const at = (name: IalsArena) => layout.arrays[name].offset;

const sides = {
  users: {
    ptr: i32View(memory, layout, 'userPtr'),
    chunks: i32View(memory, layout, 'userChunks'),
    system: { colsAt: at('userItems'), weightsAt: at('userWeights'), fixedAt: at('movieFactors'), outAt: at('userFactors'), gramAt: at('fixedGram') } satisfies CgSide,
    rows: data.nUsers,
    factorsAt: at('userFactors'),
  },
  movies: {
    ptr: i32View(memory, layout, 'moviePtr'),
    chunks: i32View(memory, layout, 'movieChunks'),
    system: { colsAt: at('movieUsers'), weightsAt: at('movieWeights'), fixedAt: at('userFactors'), outAt: at('movieFactors'), gramAt: at('fixedGram') } satisfies CgSide,
    rows: data.nMovies,
    factorsAt: at('movieFactors'),
  },
};

parentPort!.on('message', (message: IalsTask) => {
  const s = sides[message.side];
  if (message.task === 'gram') {
    gram.fill(0);
    for (;;) {
      const from = Atomics.add(counters, 0, 1) * GRAM_ROWS;
      if (from >= s.rows) break;
      kernels.gramUpper(s.factorsAt + from * kpBytes, Math.min(GRAM_ROWS, s.rows - from), kpBytes, gramAt);
    }
    const sum = gram.slice();
    parentPort!.postMessage({ kind: 'done', value: sum } satisfies IalsDoneMessage, [sum.buffer]);
    return;
  }
  solveRowChunks(counters, s.chunks, (r) => solver.solve(s.system, r, s.ptr[r], s.ptr[r + 1], data.cgSteps));
  parentPort!.postMessage({ kind: 'done', value: null } satisfies IalsDoneMessage);
});
