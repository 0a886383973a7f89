import type { LogValue, TopicPartitionOffset } from '../types.js';

/** A row as SQLite returns it with `.raw()`: [offset, ts, key, value, headers]. */
export type RawRow = [number, number, string | null, LogValue, string | null];

/**
 * What a consumer needs from the embedded log, and no more: the consumer reads rows and group
 * offsets through this, so it knows neither the connection nor the statements behind it.
 */
export interface PartitionReader {
  /** [startOffset, endOffset] of each partition of `topic`; null while the topic does not exist. */
  offsets(topic: string): [number, number][] | null;
  /** Partitions of `topic`; null while the topic does not exist. */
  partitionCount(topic: string): number | null;
  /** Rows from the first offset at or after `offset` on, at most `limit`; none if the topic does not exist. */
  read(topic: string, partition: number, offset: number, limit: number): RawRow[];
  /** The group's committed next offset of each partition of `topic` that has one. */
  committed(group: string, topic: string): Map<number, number>;
  commit(group: string, offsets: TopicPartitionOffset[]): void;
  /** Changes whenever any connection (this one included) commits. */
  changeToken(): string;
}
