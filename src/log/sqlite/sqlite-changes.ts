import type Database from 'better-sqlite3';

/**
 * The log's change token, which a caught-up consumer compares to skip reads. SQLite's
 * `data_version` only moves for other connections' commits, so local commits are counted here.
 */
export class ChangeToken {
  private localWrites = 0;
  private readonly dataVersion: Database.Statement;

  constructor(db: Database.Database) {
    // Prepared once: db.pragma() would compile the statement on every poll.
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** Call after every local commit. */
  bump(): void {
    this.localWrites++;
  }

  current(): string {
    return `${this.dataVersion.get() as number}:${this.localWrites}`;
  }
}
