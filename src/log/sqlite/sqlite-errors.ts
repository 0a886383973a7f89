import { dirname } from 'node:path';
import { diskWriteProblem } from '../../util/disk-errors.js';
import { RetryLaterError } from '../../util/errors.js';

/** Seconds a client is told to wait before retrying a write the disk refused. */
export const DISK_RETRY_AFTER_S = 2;

/**
 * A write the embedded log could not make because its disk is full or read-only. SQLite rolled
 * the transaction back, so nothing of it is stored and nothing was acknowledged: the same write can
 * be made again once space (or write access) returns. A 503 with Retry-After where a route meets it.
 */
export class LogDiskError extends RetryLaterError {
  override name = 'LogDiskError';
  constructor(
    readonly problem: 'full' | 'read-only',
    readonly dir: string,
    cause: unknown,
  ) {
    super(diskMessage(problem, dir, cause), {
      code: problem === 'full' ? 'log-disk-full' : 'log-disk-read-only',
      status: 503,
      retryAfterSeconds: DISK_RETRY_AFTER_S,
      cause,
    });
  }
}

function diskMessage(problem: 'full' | 'read-only', dir: string, cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  const why = `${typeof code === 'string' ? `${code}: ` : ''}${cause instanceof Error ? cause.message : String(cause)}`;
  return problem === 'full'
    ? `the event log cannot write to ${dir}: the disk is full (${why}); free space there, and writes resume by themselves`
    : `the event log cannot write to ${dir}: the file system is read-only (${why}); make it writable again, and writes resume by themselves`;
}

/** `err` as a LogDiskError when the disk refused the write, else unchanged. */
export function classifyWriteError(err: unknown, logPath: string): unknown {
  if (err instanceof LogDiskError) return err;
  const problem = diskWriteProblem(err);
  return problem ? new LogDiskError(problem, dirname(logPath), err) : err;
}

/** Runs a write, rethrowing a disk-full or read-only failure as a LogDiskError. */
export function writing<T>(logPath: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw classifyWriteError(err, logPath);
  }
}
