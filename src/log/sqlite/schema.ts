import type Database from 'better-sqlite3';
import { LogError } from '../types.js';

/**
 * The embedded log's tables. One SQLite file holds every topic so that appends, group commits
 * and checkpoint state can share one transaction (SQLite is atomic within one file only).
 *
 * - topics / partitions: metadata; `next_offset` is assigned under the write lock, so offsets are
 *   dense and never reused, even after retention empties a partition.
 * - one table a partition (`t<topicId>_p<n>`): offset, record time, key, value, headers.
 * - batches: one row an append batch (first offset, append time, bytes) — the time index that
 *   retention and seek-by-time use, like Kafka's segments.
 * - group_offsets, producers (idempotence), state (checkpoints).
 */
export const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL,
  retention_ms INTEGER,
  retention_bytes INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS partitions (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  start_offset INTEGER NOT NULL DEFAULT 0,
  next_offset INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  first_offset INTEGER NOT NULL,
  append_ts INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (topic_id, partition, first_offset)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS producers (
  producer_id TEXT NOT NULL,
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  PRIMARY KEY (producer_id, topic_id, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
`;

export function partitionTable(topicId: number, partition: number): string {
  return `t${topicId}_p${partition}`;
}

export function partitionTableDdl(topicId: number, partition: number): string {
  // No type on `value`: SQLite keeps a string as TEXT and bytes as BLOB, as given.
  return `CREATE TABLE IF NOT EXISTS ${partitionTable(topicId, partition)} (
    offset INTEGER PRIMARY KEY,
    ts INTEGER NOT NULL,
    key TEXT,
    value NOT NULL,
    headers TEXT
  )`;
}

export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new LogError(
      `${path} was written by a newer streamrec (log schema ${version}, this one reads ${SCHEMA_VERSION}); upgrade streamrec`,
    );
  }
  if (version === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(DDL);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
