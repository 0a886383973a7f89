// The row loop of a training thread (ALS, iALS): chunks of rows taken from a shared atomic
// counter until none is left — threads that finish early take more, so an uneven row length
// evens out — with the rows done posted to the parent at most every 50 ms.
import { parentPort } from 'node:worker_threads';

/** Rows a thread has solved since its last progress message. */
export interface RowsProgressMessage {
  kind: 'progress';
  rows: number;
}

/** Progress is posted at most this often (a message costs the main thread more than a chunk of rows). */
const PROGRESS_EVERY_MS = 50;

/**
 * Calls `solveRow` for every row of the chunks this thread takes: chunk c is rows
 * chunks[c] … chunks[c + 1] − 1, and counters[0] hands out the next c.
 */
export function solveRowChunks(counters: Int32Array, chunks: Int32Array, solveRow: (row: number) => void): void {
  let unreported = 0;
  let reportedAt = performance.now();
  for (;;) {
    const c = Atomics.add(counters, 0, 1);
    if (c >= chunks.length - 1) break;
    const from = chunks[c];
    const to = chunks[c + 1];
    for (let r = from; r < to; r++) solveRow(r);
    unreported += to - from;
    if (performance.now() - reportedAt >= PROGRESS_EVERY_MS) {
      parentPort!.postMessage({ kind: 'progress', rows: unreported } satisfies RowsProgressMessage);
      unreported = 0;
      reportedAt = performance.now();
    }
  }
  if (unreported > 0) parentPort!.postMessage({ kind: 'progress', rows: unreported } satisfies RowsProgressMessage);
}
