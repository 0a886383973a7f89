/**
 * What a remote log server must offer for streamrec's `EventLog` to run on it: named topics of
 * numbered partitions, each an append-only sequence with dense offsets from 0, read from any
 * offset, trimmed from the front. Nothing more — consumer groups, committed offsets, keyed state,
 * idempotent producers and transactions are built once on top of this (`remote-log.ts`), so the
 * Kafka and the NATS JetStream adapters differ only here and behave the same everywhere else.
 */

/** A record as written: the value is text or bytes, and comes back as the same kind. */
export interface BrokerRecord {
  key: string | null;
  value: string | Uint8Array;
  /** Epoch ms (Kafka's CreateTime). */
  timestamp: number;
  headers: Record<string, string> | null;
}

export interface StoredRecord extends BrokerRecord {
  offset: number;
}

export interface PartitionOffsets {
  /** First offset still held (moves forward with trimming and the server's own retention). */
  start: number;
  /** Offset the next record will get. */
  end: number;
  /** Bytes held, when the server says (null when it does not). */
  bytes: number | null;
}

export interface Broker {
  /** e.g. `kafka://127.0.0.1:9092/prefix` or `nats://127.0.0.1:4222/prefix`. */
  readonly description: string;
  /**
   * Creates the topic unless it exists; returns its partition count (the existing one if it
   * existed). Topics named `__streamrec…` are the core's own (the coordination log): give them no
   * retention of the server's — the core trims them itself, only behind a snapshot.
   */
  ensureTopic(name: string, partitions: number): Promise<number>;
  /** Partition count, or null when the topic does not exist. */
  partitions(name: string): Promise<number | null>;
  /** The topics this broker holds under this namespace (without the namespace prefix; the core's own included). */
  listTopics(): Promise<string[]>;
  deleteTopic(name: string): Promise<void>;
  /**
   * Appends in order to one partition and resolves once the server has them durably (acks=all,
   * JetStream's publish ack); returns the offset of the first. The records get consecutive offsets.
   */
  append(topic: string, partition: number, records: BrokerRecord[]): Promise<number>;
  /**
   * Up to `max` records from `offset` (or from the first held one if `offset` was trimmed); waits
   * up to `waitMs` for one when there are none yet. Never returns a record below `offset`.
   */
  read(topic: string, partition: number, offset: number, max: number, waitMs: number): Promise<StoredRecord[]>;
  offsets(topic: string, partition: number): Promise<PartitionOffsets>;
  /** Deletes every record below `offset` (Kafka's DeleteRecords, JetStream's purge up to a sequence). */
  trimBefore(topic: string, partition: number, offset: number): Promise<void>;
  close(): Promise<void>;
}
