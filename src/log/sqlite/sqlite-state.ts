import type Database from 'better-sqlite3';
import type { LogValue } from '../types.js';

/** Keyed state (checkpoints): the `state` table. Writes happen inside a log transaction. */
export class SqliteState {
  private readonly stmt: { get: Database.Statement; put: Database.Statement; delete: Database.Statement };

  constructor(db: Database.Database) {
    this.stmt = {
      get: db.prepare('SELECT value FROM state WHERE namespace = ? AND key = ?'),
      put: db.prepare(
        `INSERT INTO state (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      delete: db.prepare('DELETE FROM state WHERE namespace = ? AND key = ?'),
    };
  }

  get(namespace: string, key: string): LogValue | null {
    return (this.stmt.get.pluck().get(namespace, key) as LogValue | undefined) ?? null;
  }

  /** Stores `value`, or deletes the key when it is null. */
  putInTransaction(namespace: string, key: string, value: LogValue | null, now: number): void {
    if (value === null) this.stmt.delete.run(namespace, key);
    else this.stmt.put.run(namespace, key, value, now);
  }
}
