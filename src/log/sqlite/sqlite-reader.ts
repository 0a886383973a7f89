import type { TopicPartitionOffset } from '../types.js';
import type { PartitionReader, RawRow } from './partition-reader.js';
import type { PartitionStatementCache } from './partition-statements.js';
import type { ChangeToken } from './sqlite-changes.js';
import { writing } from './sqlite-errors.js';
import type { SqliteGroups } from './sqlite-groups.js';
import type { SqliteTopics } from './sqlite-topics.js';

/** The embedded log as its consumers see it: reads on the cached statements, group offsets, the change token. */
export class SqlitePartitionReader implements PartitionReader {
  constructor(
    private readonly topics: SqliteTopics,
    private readonly statements: PartitionStatementCache,
    private readonly groups: SqliteGroups,
    private readonly changes: ChangeToken,
    /** The log's file, named by a disk-full or read-only error. */
    private readonly path: string,
  ) {}

  offsets(topic: string): [number, number][] | null {
    const meta = this.topics.meta(topic);
    return meta ? this.topics.offsets(meta) : null;
  }

  partitionCount(topic: string): number | null {
    return this.topics.meta(topic)?.partitions ?? null;
  }

  read(topic: string, partition: number, offset: number, limit: number): RawRow[] {
    const meta = this.topics.meta(topic);
    if (!meta) return [];
    return this.statements.get(meta, partition).read.all(offset, limit) as RawRow[];
  }

  committed(group: string, topic: string): Map<number, number> {
    return this.groups.committed(group, topic);
  }

  commit(group: string, offsets: TopicPartitionOffset[]): void {
    writing(this.path, () => this.groups.commit(group, offsets));
  }

  changeToken(): string {
    return this.changes.current();
  }
}
