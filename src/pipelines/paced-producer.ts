import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer, ProducerRecord } from '../log/types.js';
import { diskWriteProblem } from '../util/disk-errors.js';

/** How often a generator tries its batch again while the disk refuses writes. */
export const DISK_RETRY_EVERY_MS = 1000;

/** A disk problem a generator is waiting out. */
export interface DiskProblem {
  kind: 'full' | 'read-only';
  message: string;
}

export interface PacedRunOptions {
  producer: Producer;
  topic: string;
  /** Builds the record emitted at `emitTime` (epoch ms). */
  next: (emitTime: number) => ProducerRecord;
  /** Events per second; Infinity sends as fast as the log takes. */
  rate: number;
  count?: number;
  durationMs?: number;
  /** Backfill: event times spread evenly over [fromMs, fromMs + spanMs), sent as fast as possible. */
  backfill?: { fromMs: number; spanMs: number };
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (stats: PacedStats) => void;
  /**
   * Told once when the disk starts refusing the generator's appends (it then waits, trying the same
   * batch again every DISK_RETRY_EVERY_MS) and once when an append succeeds again (null). Default:
   * one line on stderr each time.
   */
  onDiskProblem?: (problem: DiskProblem | null) => void;
  retryEveryMs?: number;
  now?: () => number;
}

export interface PacedStats {
  sent: number;
  elapsedMs: number;
  /** Events per second over the run so far. */
  rate: number;
  /** Event time of the last record, for backfills. */
  lastEmitTime: number;
}

/**
 * Sends generated records at a steady rate (or flat out, or spread over a past period), in
 * batches, until the count or duration is reached or the signal aborts. Each batch is
 * acknowledged by the log before the next is built, so a stop never loses an acknowledged batch.
 * A full or read-only disk pauses the run (the same batch is tried again until it is written or
 * the signal aborts): a refused append stored nothing, so the retry writes it exactly once.
 */
export async function runPaced(options: PacedRunOptions): Promise<PacedStats> {
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 5000;
  const limit = options.count ?? (options.backfill && Number.isFinite(options.rate) ? Math.round((options.rate * options.backfill.spanMs) / 1000) : Infinity);
  if (options.backfill && !Number.isFinite(limit)) throw new Error('a backfill needs --count or --rate to know how many events to spread');
  const started = now();
  const stats: PacedStats = { sent: 0, elapsedMs: 0, rate: 0, lastEmitTime: 0 };
  const aborted = () => options.signal?.aborted === true;
  const timeUp = () => options.durationMs !== undefined && now() - started >= options.durationMs;

  while (stats.sent < limit && !aborted() && !timeUp()) {
    let due: number;
    if (options.backfill || !Number.isFinite(options.rate)) {
      due = batchSize;
    } else {
      const target = Math.floor(((now() - started) / 1000) * options.rate);
      due = Math.min(batchSize, target - stats.sent);
      if (due <= 0) {
        const waitMs = Math.max(1, Math.min(100, ((stats.sent + 1) / options.rate) * 1000 - (now() - started)));
        await sleep(waitMs);
        continue;
      }
    }
    due = Math.min(due, limit - stats.sent);
    const records: ProducerRecord[] = new Array(due);
    for (let i = 0; i < due; i++) {
      const emitTime = options.backfill
        ? options.backfill.fromMs + (options.backfill.spanMs * (stats.sent + i)) / limit
        : now();
      records[i] = options.next(emitTime);
      stats.lastEmitTime = emitTime;
    }
    if (!(await sendRetryingOnDisk(options, records))) break;
    stats.sent += due;
    stats.elapsedMs = now() - started;
    stats.rate = stats.elapsedMs > 0 ? (stats.sent * 1000) / stats.elapsedMs : 0;
    options.onProgress?.(stats);
    // Let signals and timers run between batches when sending flat out.
    if (!Number.isFinite(options.rate) || options.backfill) await new Promise((r) => setImmediate(r));
  }
  stats.elapsedMs = now() - started;
  stats.rate = stats.elapsedMs > 0 ? (stats.sent * 1000) / stats.elapsedMs : 0;
  return stats;
}

/** Sends one batch, waiting out a full or read-only disk; false when the signal aborted before it was written. */
async function sendRetryingOnDisk(options: PacedRunOptions, records: ProducerRecord[]): Promise<boolean> {
  const notify = options.onDiskProblem ?? ((p) => process.stderr.write(`streamrec: ${generatorDiskLine(options.topic, p)}\n`));
  let waiting: DiskProblem['kind'] | null = null;
  for (;;) {
    try {
      await options.producer.send(options.topic, records);
      if (waiting) notify(null);
      return true;
    } catch (err) {
      const kind = diskWriteProblem(err);
      if (!kind) throw err;
      if (waiting !== kind) notify({ kind, message: err instanceof Error ? err.message : String(err) });
      waiting = kind;
    }
    if (options.signal?.aborted) return false;
    try {
      await sleep(options.retryEveryMs ?? DISK_RETRY_EVERY_MS, undefined, { signal: options.signal });
    } catch {
      return false; // aborted while waiting: the batch was never written
    }
  }
}

/** The one line a generator prints when the disk starts refusing its appends, or takes them again. */
export function generatorDiskLine(topic: string, problem: DiskProblem | null): string {
  if (!problem) return `generator into ${topic} resumed: the event log takes writes again`;
  return `generator into ${topic} paused, nothing lost: ${problem.message}`;
}
