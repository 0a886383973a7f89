/**
 * The event log contract: an append-only, partitioned log with consumer groups, shaped after
 * Kafka's model (topics, partitions, offsets, committed group offsets, transactions) so that the
 * embedded SQLite log, Kafka and NATS JetStream can all stand behind it.
 */
import { StreamrecError } from '../util/errors.js';

/** A value is stored as given: text (JSON events take this fast path) or raw bytes. */
export type LogValue = string | Uint8Array;

export interface ProducerRecord {
  /** Chooses the partition (stable hash); null or absent spreads records round-robin. */
  key?: string | null;
  value: LogValue;
  /** Record time in epoch ms (Kafka's CreateTime); defaults to the append time. */
  timestamp?: number;
  headers?: Record<string, string>;
  /** Force a partition instead of hashing the key. */
  partition?: number;
}

export interface LogRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: LogValue;
  headers: Record<string, string> | null;
}

/**
 * Polled records that are built only when asked for: a consumer on a hot path (the pipeline
 * runner) reads the offset and value of every record but whole records — key, timestamp,
 * headers — of few (late events, dead letters). Index i is the i-th record poll would return.
 */
export interface RecordBatch {
  readonly length: number;
  partition(i: number): number;
  offset(i: number): number;
  value(i: number): LogValue;
  record(i: number): LogRecord;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export interface RetentionPolicy {
  /** Delete records appended longer ago than this; null keeps them forever. */
  maxAgeMs: number | null;
  /** Keep each partition under this many bytes of keys and values; null for no limit. */
  maxBytes: number | null;
}

export interface TopicConfig {
  partitions: number;
  retention?: Partial<RetentionPolicy>;
}

export interface PartitionInfo {
  partition: number;
  /** First offset still held (moves forward with retention). */
  startOffset: number;
  /** Offset the next record will get; end − start is the record count. */
  endOffset: number;
  bytes: number;
}

export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
  retention: RetentionPolicy;
}

export interface GroupLag {
  group: string;
  topic: string;
  partition: number;
  committed: number | null;
  endOffset: number;
  lag: number;
}

/**
 * Where a consumer starts on a partition. `committed` (the default) resumes from the group's
 * committed offset and, for a group that never committed, falls back to `resetTo` — `earliest`
 * unless said otherwise, so a processor started after its producer sees every event.
 */
export type StartPosition = 'earliest' | 'latest' | 'committed';

export interface ConsumerOptions {
  group: string;
  topics: string[];
  from?: StartPosition;
  /** Where `committed` goes when the group has no commit for a partition. Default `earliest`. */
  resetTo?: 'earliest' | 'latest';
  /** Read only these partitions (static assignment); default: all partitions of each topic. */
  partitions?: TopicPartition[];
}

export interface PollOptions {
  maxRecords?: number;
  /** How long to wait for a record when caught up; 0 returns at once. */
  timeoutMs?: number;
}

export interface Consumer {
  readonly group: string;
  /** Up to maxRecords records in offset order within each partition. */
  poll(options?: PollOptions): Promise<LogRecord[]>;
  /**
   * What poll would return, as a RecordBatch. Optional: an adapter that reads whole records anyway
   * can leave it out, and callers use `pollBatch` from `record-batch.ts`.
   */
  pollBatch?(options?: PollOptions): Promise<RecordBatch>;
  /** Commit the given offsets (the next offset to read), or the current positions. */
  commit(offsets?: TopicPartitionOffset[]): Promise<void>;
  /** The next offset this consumer will read on each assigned partition. */
  positions(): TopicPartitionOffset[];
  seek(topic: string, partition: number, offset: number): void;
  close(): Promise<void>;
}

export interface ProducerOptions {
  /**
   * Makes the producer idempotent: a record sent with a sequence number not above the last one
   * stored for (producerId, topic, partition) is dropped as a duplicate (Kafka's idempotent
   * producer, used by the outbox relay so a resend after a crash never duplicates).
   */
  producerId?: string;
}

export interface SendOptions {
  /** With producerId: one increasing sequence number per record, in the order given. */
  sequences?: number[];
}

export interface SendResult extends RecordMetadata {
  /** true when an idempotent producer dropped the record as already written. */
  duplicate: boolean;
}

export interface Producer {
  send(topic: string, records: ProducerRecord[], options?: SendOptions): Promise<SendResult[]>;
  close(): Promise<void>;
}

/**
 * Operations applied all together or not at all: appends, group offset commits and keyed state
 * (checkpoints). Embedded: one SQLite transaction. Kafka: a producer transaction with
 * sendOffsetsToTransaction and the state on a compacted topic.
 */
export interface Transaction {
  send(topic: string, records: ProducerRecord[]): void;
  commitOffsets(group: string, offsets: TopicPartitionOffset[]): void;
  putState(namespace: string, key: string, value: LogValue | null): void;
  /**
   * A condition on commit: the state stored under (namespace, key) must equal `value` (null: no
   * state) when the transaction commits, else the commit fails with a `FencedError` (code
   * `fenced`) and writes nothing. Two writers that each read a position and expect it fence each
   * other: only the first commit wins (the outbox relay's guard against a second relay).
   */
  expectState(namespace: string, key: string, value: LogValue | null): void;
  commit(): Promise<RecordMetadata[]>;
  abort(): void;
}

export interface EventLog {
  /** A short description for logs and status lines, e.g. `embedded:/srv/data`. */
  readonly description: string;
  createTopic(name: string, config: TopicConfig): Promise<void>;
  /** Creates the topic with `config` unless it exists; returns its partition count. */
  ensureTopic(name: string, config: TopicConfig): Promise<number>;
  deleteTopic(name: string): Promise<void>;
  /**
   * Deletes every record the topic holds now (Kafka's deleteRecords up to the end offsets). The
   * topic stays, offsets are never reused: the next record gets the next offset, and a reader
   * behind goes on from there. Returns the number of records deleted (`streamrec reset` clears a
   * pipeline's outputs with it).
   */
  deleteRecords(name: string): Promise<number>;
  topics(): Promise<TopicInfo[]>;
  topic(name: string): Promise<TopicInfo | null>;
  producer(options?: ProducerOptions): Producer;
  consumer(options: ConsumerOptions): Consumer;
  groups(): Promise<GroupLag[]>;
  committed(group: string, topic: string): Promise<TopicPartitionOffset[]>;
  deleteGroup(group: string): Promise<void>;
  transaction(): Transaction;
  getState(namespace: string, key: string): Promise<LogValue | null>;
  /** Apply retention now; returns the number of records deleted. */
  enforceRetention(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A user-facing error from the log (code `log-error`): the message is meant to be shown as is. A
 * server meeting one answers 500 (the log is the server's, not the client's).
 */
export class LogError extends StreamrecError {
  override name = 'LogError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'log-error', status: 500, cause: options.cause });
  }
}

/**
 * A transaction's `expectState` did not hold at commit: another writer moved the state first.
 * Nothing was written; the writer re-reads the state and goes on from there (code `fenced`, 409).
 */
export class FencedError extends StreamrecError {
  override name = 'FencedError';
  constructor(namespace: string, key: string) {
    super(`state ${namespace}/${key} changed since it was read: another writer committed first`, { code: 'fenced', status: 409 });
  }
}
