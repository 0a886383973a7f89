/**
 * One RP3beta training thread: takes chunks of movies from a shared counter (the first movies
 * pair with the most, so a static split would leave a thread idle) and offers their pairs to its
 * own top-k heaps. The matrix and the heaps are SharedArrayBuffers: nothing is copied per thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { NeighbourHeaps } from '../item-cf/item-cf-kernel.js';
import type { StepDone } from '../worker-pool.js';
import { newGraphScratch, pairsOfMovie, type GraphData } from './item-graph-kernel.js';

export interface ItemGraphWorkerData {
  data: GraphData;
  /** One set of heaps per thread, in thread order. */
  heaps: NeighbourHeaps[];
  /** [next movie to take, movies done, stop flag, next thread number]. */
  control: Int32Array;
  chunk: number;
}

const { data, heaps: all, control, chunk } = workerData as ItemGraphWorkerData;
const heaps = all[Atomics.add(control, 3, 1)];
const scratch = newGraphScratch(data.movies);
parentPort!.on('message', () => {
  for (;;) {
    if (Atomics.load(control, 2) !== 0) break;
    const from = Atomics.add(control, 0, chunk);
    if (from >= data.movies) break;
    const to = Math.min(from + chunk, data.movies);
    for (let i = from; i < to; i++) pairsOfMovie(i, data, scratch, heaps);
    Atomics.add(control, 1, to - from);
  }
  const done: StepDone<null> = { kind: 'done', value: null };
  parentPort!.postMessage(done);
});
