// A fixed gang of worker threads that run one task at a time together (a bulk-synchronous step:
// every worker gets the task, the step ends when each has answered). The workers split the work
// themselves, e.g. through a shared atomic counter. A worker that throws or exits, or an abort,
// fails the step; `close` terminates them all, busy or not.
import { Worker } from 'node:worker_threads';

/** What a worker posts when it has finished its share of a step. */
export interface StepDone<T> {
  kind: 'done';
  value: T;
}

export class WorkerPool {
  private readonly workers: Worker[];
  private failure: Error | null = null;
  private failStep: ((err: Error) => void) | null = null;
  private closing = false;

  constructor(script: URL, count: number, workerData: unknown) {
    this.workers = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData });
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`worker thread ${i} exited (code ${code}) before the work was done`));
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Posts `task` to every worker and resolves with their `StepDone` values in worker order. Any
   * other message a worker posts goes to `onMessage` (progress reports).
   */
  step<T>(task: unknown, onMessage?: (message: unknown) => void, signal?: AbortSignal): Promise<T[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.failStep) return Promise.reject(new Error('WorkerPool.step: a step is already running'));
    return new Promise<T[]>((resolve, reject) => {
      const values = new Array<T>(this.workers.length);
      let remaining = this.workers.length;
      const listeners: Array<(m: unknown) => void> = [];
      const finish = (err: Error | null) => {
        this.workers.forEach((w, i) => w.off('message', listeners[i]));
        signal?.removeEventListener('abort', onAbort);
        this.failStep = null;
        if (err) reject(err);
        else resolve(values);
      };
      const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      this.failStep = finish;
      this.workers.forEach((worker, i) => {
        listeners[i] = (m: unknown) => {
          if (isDone(m)) {
            values[i] = m.value as T;
            if (--remaining === 0) finish(null);
          } else {
            // A throwing callback fails the step (instead of crashing the process from an event).
            try {
              onMessage?.(m);
            } catch (err) {
              finish(err instanceof Error ? err : new Error(String(err)));
            }
          }
        };
        worker.on('message', listeners[i]);
      });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const worker of this.workers) worker.postMessage(task);
    });
  }

  /** Terminates every worker (a busy one is stopped mid-step). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.failStep?.(err);
  }
}

function isDone(m: unknown): m is StepDone<unknown> {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'done';
}

/** A chunk of a side's rows (CSR) for a pool's threads to take in turn: at most this many rows … */
const CHUNK_ROWS = 1024;
/** … or about this many ratings, so one popular movie does not hold a thread while others idle … */
const CHUNK_RATINGS = 20_000;
/** … and at least this many chunks per thread, so small data is spread too. */
const CHUNKS_PER_THREAD = 8;

/** Row boundaries of the work chunks of a CSR side with row pointers `ptr` (see CHUNK_ROWS): chunk c is rows [c], [c+1]. */
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
  return Int32Array.from(bounds);
}
