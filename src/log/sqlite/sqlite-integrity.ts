import Database from 'better-sqlite3';

export interface LogIntegrity {
  /** What `PRAGMA quick_check` reported; empty when the file is sound. */
  errors: string[];
  /** The file's schema version (`user_version`). */
  schemaVersion: number;
}

/**
 * Checks the embedded log's file with SQLite's `quick_check` on a read-only connection, so a
 * running server or processor is not disturbed (WAL readers never block writers). Throws the
 * SQLite error when the file cannot be opened at all (not a database, unreadable).
 */
export function checkLogIntegrity(path: string, maxErrors = 10): LogIntegrity {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const rows = db.pragma(`quick_check(${Math.max(1, Math.floor(maxErrors))})`) as { quick_check: string }[];
    const messages = rows.map((r) => r.quick_check);
    return { errors: messages.length === 1 && messages[0] === 'ok' ? [] : messages, schemaVersion };
  } finally {
    db.close();
  }
}
