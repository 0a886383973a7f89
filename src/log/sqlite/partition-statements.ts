import type Database from 'better-sqlite3';
import { partitionTable } from './schema.js';
import type { TopicMeta } from './sqlite-topics.js';

/** Rows a multi-row INSERT takes: fewer JS→SQLite calls per record. */
export const ROWS_PER_INSERT = 64;
/** Columns a row has: offset, ts, key, value, headers. */
export const COLUMNS = 5;

export interface PartitionStatements {
  insert: Database.Statement;
  /** Inserts ROWS_PER_INSERT rows at once. */
  insertMany: Database.Statement;
  /** Raw rows from an offset on, in offset order, up to a limit. */
  read: Database.Statement;
}

/** The statements on each partition's table, prepared once and kept: appends and reads are the hot paths. */
export class PartitionStatementCache {
  private readonly cache = new Map<string, PartitionStatements>();

  constructor(private readonly db: Database.Database) {}

  get(meta: TopicMeta, partition: number): PartitionStatements {
    const cacheKey = `${meta.name}\u0000${meta.id}\u0000${partition}`;
    let s = this.cache.get(cacheKey);
    if (!s) {
      const table = partitionTable(meta.id, partition);
      s = {
        insert: this.db.prepare(`INSERT INTO ${table} (offset, ts, key, value, headers) VALUES (?, ?, ?, ?, ?)`),
        insertMany: this.db.prepare(
          `INSERT INTO ${table} (offset, ts, key, value, headers) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?)').join(', ')}`,
        ),
        read: this.db.prepare(`SELECT offset, ts, key, value, headers FROM ${table} WHERE offset >= ? ORDER BY offset LIMIT ?`).raw(true),
      };
      this.cache.set(cacheKey, s);
    }
    return s;
  }

  /** Drops a deleted topic's statements (its tables are gone; a new topic of that name gets a new id). */
  forgetTopic(name: string): void {
    for (const key of [...this.cache.keys()]) {
      if (key.startsWith(`${name}\u0000`)) this.cache.delete(key);
    }
  }
}
