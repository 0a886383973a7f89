/**
 * One item-CF training thread: takes chunks of movies from a shared counter (the first movies are
 * the costliest, so a static split would leave one thread idle) and fills its own top-K heaps.
 * The rating matrix and the heaps are SharedArrayBuffers: nothing is copied per thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { newScratch, pairsOfMovie, type KernelData, type KernelParams, type NeighbourHeaps } from './item-cf-kernel.js';

export interface ItemCfWorkerData {
  data: KernelData;
  params: KernelParams;
  heaps: NeighbourHeaps;
  /** [next movie to take, movies done, stop flag]. */
  control: Int32Array;
  chunk: number;
}

const { data, params, heaps, control, chunk } = workerData as ItemCfWorkerData;
const scratch = newScratch(data.movies);
for (;;) {
  if (Atomics.load(control, 2) !== 0) break;
  const from = Atomics.add(control, 0, chunk);
  if (from >= data.movies) break;
  const to = Math.min(from + chunk, data.movies);
  for (let i = from; i < to; i++) pairsOfMovie(i, data, params, scratch, heaps);
  Atomics.add(control, 1, to - from);
}
parentPort!.postMessage('done');
