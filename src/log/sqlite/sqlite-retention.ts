import type Database from 'better-sqlite3';
import { partitionTable } from './schema.js';
import type { ChangeToken } from './sqlite-changes.js';
import type { SqliteTopics, TopicMeta } from './sqlite-topics.js';

/**
 * Retention: deletes whole append batches from the head of each partition — those older than
 * the age limit, then the oldest until the partition fits the size limit (Kafka deletes whole
 * segments alike). Offsets are never reused.
 */
export class SqliteRetention {
  private lastRun = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly topics: SqliteTopics,
    private readonly changes: ChangeToken,
    private readonly checkMs: number,
  ) {}

  /** Applies retention if the last run is older than the check interval (called after appends). */
  maybeEnforce(): void {
    const now = Date.now();
    if (now - this.lastRun < this.checkMs) return;
    this.lastRun = now;
    this.enforce(now);
  }

  /** Returns the number of records deleted. */
  enforce(now: number): number {
    const withRetention = this.db
      .prepare('SELECT name FROM topics WHERE retention_ms IS NOT NULL OR retention_bytes IS NOT NULL')
      .pluck()
      .all() as string[];
    let deleted = 0;
    for (const name of withRetention) {
      const meta = this.topics.read(name);
      if (!meta) continue;
      deleted += this.db
        .transaction(() => {
          let n = 0;
          for (let p = 0; p < meta.partitions; p++) n += this.trimPartition(meta, p, now);
          return n;
        })
        .immediate();
    }
    if (deleted > 0) this.changes.bump();
    return deleted;
  }

  /**
   * Deletes every record of the topic up to its end offsets (Kafka's deleteRecords), in one
   * transaction: start offsets move to the end, so offsets are never reused and readers go on from
   * there. Returns the number of records deleted.
   */
  deleteRecords(meta: TopicMeta): number {
    const deleted = this.db
      .transaction(() => {
        let n = 0;
        for (let p = 0; p < meta.partitions; p++) {
          n += this.db.prepare(`DELETE FROM ${partitionTable(meta.id, p)}`).run().changes;
          this.db.prepare('DELETE FROM batches WHERE topic_id = ? AND partition = ?').run(meta.id, p);
          this.db.prepare('UPDATE partitions SET start_offset = next_offset, bytes = 0 WHERE topic_id = ? AND partition = ?').run(meta.id, p);
        }
        return n;
      })
      .immediate();
    this.changes.bump();
    return deleted;
  }

  private trimPartition(meta: TopicMeta, partition: number, now: number): number {
    const batches = this.db
      .prepare('SELECT first_offset, append_ts, bytes FROM batches WHERE topic_id = ? AND partition = ? ORDER BY first_offset')
      .raw(true)
      .all(meta.id, partition) as [number, number, number][];
    const [start, end] = this.topics.offsets(meta)[partition]!;
    let total = batches.reduce((sum, b) => sum + b[2], 0);
    let drop = 0; // number of head batches to delete
    while (drop < batches.length) {
      const [, appendTs, bytes] = batches[drop]!;
      const tooOld = meta.retention.maxAgeMs !== null && now - appendTs > meta.retention.maxAgeMs;
      const tooBig = meta.retention.maxBytes !== null && total > meta.retention.maxBytes;
      if (!tooOld && !tooBig) break;
      total -= bytes;
      drop++;
    }
    if (drop === 0) return 0;
    const newStart = drop < batches.length ? batches[drop]![0] : end;
    const table = partitionTable(meta.id, partition);
    const info = this.db.prepare(`DELETE FROM ${table} WHERE offset < ?`).run(newStart);
    this.db
      .prepare('DELETE FROM batches WHERE topic_id = ? AND partition = ? AND first_offset < ?')
      .run(meta.id, partition, newStart);
    this.db
      .prepare('UPDATE partitions SET start_offset = ?, bytes = ? WHERE topic_id = ? AND partition = ?')
      .run(Math.max(start, newStart), total, meta.id, partition);
    return info.changes;
  }
}
