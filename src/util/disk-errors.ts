/**
 * Recognises the errors of a disk that cannot take writes: full (ENOSPC, SQLite's SQLITE_FULL) or
 * read-only (EROFS, SQLITE_READONLY*). A writer meeting one holds what it has, says so once, and
 * retries — the condition is the machine's, and it ends when space or write access returns.
 */

const DISK_CODES = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_SHMSIZE']);

/** What is wrong with the disk, or null when `err` is not a disk-write error. */
export function diskWriteProblem(err: unknown): 'full' | 'read-only' | null {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    const message = String((e as { message?: unknown }).message ?? '');
    if (DISK_CODES.has(code)) return code === 'EROFS' || code.startsWith('SQLITE_READONLY') ? 'read-only' : 'full';
    if (/\bENOSPC\b|No space left on device|database or disk is full/i.test(message)) return 'full';
    if (/\bEROFS\b|read-only file system|attempt to write a readonly database/i.test(message)) return 'read-only';
  }
  return null;
}
