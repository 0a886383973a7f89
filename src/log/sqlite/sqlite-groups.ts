import type Database from 'better-sqlite3';
import type { GroupLag, TopicPartitionOffset } from '../types.js';
import type { ChangeToken } from './sqlite-changes.js';
import type { SqliteTopics } from './sqlite-topics.js';

/** Consumer groups' committed offsets: the `group_offsets` table. */
export class SqliteGroups {
  private readonly stmt: {
    upsertGroupOffset: Database.Statement;
    groupOffsets: Database.Statement;
    allGroupOffsets: Database.Statement;
    deleteGroup: Database.Statement;
  };

  constructor(
    private readonly db: Database.Database,
    private readonly topics: SqliteTopics,
    private readonly changes: ChangeToken,
  ) {
    this.stmt = {
      upsertGroupOffset: db.prepare(
        `INSERT INTO group_offsets (group_id, topic, partition, next_offset, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
      ),
      groupOffsets: db.prepare('SELECT partition, next_offset FROM group_offsets WHERE group_id = ? AND topic = ?'),
      allGroupOffsets: db.prepare('SELECT group_id, topic, partition, next_offset FROM group_offsets ORDER BY group_id, topic, partition'),
      deleteGroup: db.prepare('DELETE FROM group_offsets WHERE group_id = ?'),
    };
  }

  /** partition → committed next offset, for the partitions of `topic` the group committed. */
  committed(group: string, topic: string): Map<number, number> {
    const rows = this.stmt.groupOffsets.raw(true).all(group, topic) as [number, number][];
    return new Map(rows);
  }

  commit(group: string, offsets: TopicPartitionOffset[]): void {
    this.db.transaction(() => this.commitInTransaction(group, offsets)).immediate();
    this.changes.bump();
  }

  /** Commits inside an open write transaction (a checkpoint's). */
  commitInTransaction(group: string, offsets: TopicPartitionOffset[]): void {
    const now = Date.now();
    for (const o of offsets) this.stmt.upsertGroupOffset.run(group, o.topic, o.partition, o.offset, now);
  }

  lags(): GroupLag[] {
    const rows = this.stmt.allGroupOffsets.raw(true).all() as [string, string, number, number][];
    const out: GroupLag[] = [];
    for (const [group, topic, partition, committed] of rows) {
      const meta = this.topics.meta(topic);
      if (!meta) continue;
      const endOffset = this.topics.offsets(meta)[partition]?.[1] ?? 0;
      out.push({ group, topic, partition, committed, endOffset, lag: Math.max(0, endOffset - committed) });
    }
    return out;
  }

  delete(group: string): void {
    this.stmt.deleteGroup.run(group);
    this.changes.bump();
  }
}
