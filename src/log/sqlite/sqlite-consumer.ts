import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Consumer,
  type ConsumerOptions,
  type LogRecord,
  type PollOptions,
  type RecordBatch,
  type TopicPartitionOffset,
} from '../types.js';
import { RowBatch, toRecord, type RowSegment } from './row-batch.js';
import type { PartitionReader } from './partition-reader.js';
import { checkSeekOffset, closedConsumerError, consumerSettings, notAssignedError, partitionKey, startPosition, type AssignedPartition } from '../consumer-parts.js';

/** How often a caught-up consumer looks for new commits by other processes. */
const WAIT_STEP_MS = 10;

/**
 * A consumer over the embedded log. Partitions are assigned statically (all partitions of each
 * topic, or the ones named), positions start as `from` says, and a topic that does not exist yet
 * is picked up as soon as a producer creates it. It reads through a `PartitionReader` only.
 */
export class SqliteConsumer implements Consumer {
  readonly group: string;
  private readonly assigned = new Map<string, AssignedPartition>();
  private readonly from: NonNullable<ConsumerOptions['from']>;
  private readonly resetTo: NonNullable<ConsumerOptions['resetTo']>;
  private cursor = 0;
  private closed = false;
  private lastEmptyToken = '';

  constructor(
    private readonly reader: PartitionReader,
    private readonly options: ConsumerOptions,
  ) {
    ({ group: this.group, from: this.from, resetTo: this.resetTo } = consumerSettings(options));
    this.refreshAssignment();
  }

  /** Assign every partition of the subscribed topics that exists now (new topics appear later). */
  private refreshAssignment(): void {
    for (const topic of this.options.topics) {
      const offsets = this.reader.offsets(topic);
      if (!offsets) continue;
      const committed = this.from === 'committed' ? this.reader.committed(this.group, topic) : new Map<number, number>();
      for (let partition = 0; partition < offsets.length; partition++) {
        const k = partitionKey(topic, partition);
        if (this.assigned.has(k)) continue;
        if (this.options.partitions && !this.options.partitions.some((tp) => tp.topic === topic && tp.partition === partition)) {
          continue;
        }
        const [start, end] = offsets[partition]!;
        const position = startPosition(this.from, this.resetTo, committed.get(partition), { start, end });
        this.assigned.set(k, { topic, partition, position });
      }
    }
  }

  async poll(options: PollOptions = {}): Promise<LogRecord[]> {
    const segments = await this.pollSegments(options);
    const out: LogRecord[] = [];
    for (const { topic, partition, rows } of segments) {
      for (const row of rows) out.push(toRecord(topic, partition, row));
    }
    return out;
  }

  async pollBatch(options: PollOptions = {}): Promise<RecordBatch> {
    return new RowBatch(await this.pollSegments(options));
  }

  private async pollSegments(options: PollOptions): Promise<RowSegment[]> {
    const maxRecords = options.maxRecords ?? 5000;
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    for (;;) {
      this.assertOpen();
      // After a read that found records, read again at once; after an empty one, only once the
      // log has changed.
      if (this.lastEmptyToken === '' || this.reader.changeToken() !== this.lastEmptyToken) {
        const segments = this.readOnce(maxRecords);
        if (segments.length > 0) {
          this.lastEmptyToken = '';
          return segments;
        }
        // Take the token, then look once more: a commit between the empty read and the token
        // would otherwise go unseen until the next one.
        const token = this.reader.changeToken();
        const again = this.readOnce(maxRecords);
        if (again.length > 0) return again;
        this.lastEmptyToken = token;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await sleep(Math.min(WAIT_STEP_MS, left));
    }
  }

  /** Rows of the assigned partitions, at most maxRecords in all; no empty segments. */
  private readOnce(maxRecords: number): RowSegment[] {
    if (this.assigned.size < this.expectedPartitions()) this.refreshAssignment();
    const parts = [...this.assigned.values()];
    const out: RowSegment[] = [];
    if (parts.length === 0) return out;
    let n = 0;
    // Start at a rotating partition so one busy partition cannot starve the others.
    for (let i = 0; i < parts.length && n < maxRecords; i++) {
      const a = parts[(this.cursor + i) % parts.length]!;
      // Reads from the first offset at or after the position: if retention deleted what this
      // consumer had not read yet, it goes on from the oldest kept.
      const rows = this.reader.read(a.topic, a.partition, a.position, maxRecords - n);
      if (rows.length === 0) {
        // Nothing to read; a position retention has overtaken moves up to the oldest offset kept.
        const start = this.reader.offsets(a.topic)?.[a.partition]?.[0];
        if (start !== undefined && a.position < start) a.position = start;
        continue;
      }
      out.push({ topic: a.topic, partition: a.partition, rows });
      n += rows.length;
      a.position = rows[rows.length - 1]![0] + 1;
    }
    this.cursor = (this.cursor + 1) % parts.length;
    return out;
  }

  private expectedPartitions(): number {
    if (this.options.partitions) return this.options.partitions.length;
    let n = 0;
    for (const topic of this.options.topics) n += this.reader.partitionCount(topic) ?? 1;
    return n;
  }

  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    this.assertOpen();
    this.reader.commit(this.group, offsets ?? this.positions());
  }

  positions(): TopicPartitionOffset[] {
    if (this.assigned.size < this.expectedPartitions()) this.refreshAssignment();
    return [...this.assigned.values()].map(({ topic, partition, position }) => ({ topic, partition, offset: position }));
  }

  seek(topic: string, partition: number, offset: number): void {
    this.refreshAssignment();
    const a = this.assigned.get(partitionKey(topic, partition));
    if (!a) throw notAssignedError(topic, partition);
    checkSeekOffset(offset);
    a.position = offset;
    this.lastEmptyToken = '';
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw closedConsumerError(this.group);
  }
}
