/**
 * One RP3beta training thread: takes chunks of movies from a shared counter (the first, most rated
 * movies pair with the most, so a static split would leave a thread idle; the last chunks are light,
 * so the threads finish together) and offers their pairs to its own candidate lists, cut to the
 * best k at the end. The matrix and the lists are SharedArrayBuffers: nothing is copied per thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { StepDone } from '../worker-pool.js';
import { finishRows, newGraphScratch, pairsOfMovie, type CandidateRows, type GraphData } from './item-graph-kernel.js';

export interface ItemGraphWorkerData {
  data: GraphData;
  /** One set of candidate lists per thread, in thread order. */
  rows: CandidateRows[];
  /** [next movie to take, movies done, stop flag, next thread number]. */
  control: Int32Array;
  chunk: number;
}

const { data, rows: all, control, chunk } = workerData as ItemGraphWorkerData;
const rows = all[Atomics.add(control, 3, 1)];
const scratch = newGraphScratch(data);
parentPort!.on('message', () => {
  for (;;) {
    if (Atomics.load(control, 2) !== 0) break;
    const from = Atomics.add(control, 0, chunk);
    if (from >= data.movies) break;
    const to = Math.min(from + chunk, data.movies);
    for (let i = from; i < to; i++) pairsOfMovie(i, data, scratch, rows);
    Atomics.add(control, 1, to - from);
  }
  finishRows(rows);
  const done: StepDone<null> = { kind: 'done', value: null };
  parentPort!.postMessage(done);
});
