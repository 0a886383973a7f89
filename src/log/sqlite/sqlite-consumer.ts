import { setTimeout as sleep } from 'node:timers/promises';
import {
  LogError,
  type Consumer,
  type ConsumerOptions,
  type LogRecord,
  type PollOptions,
  type TopicPartitionOffset,
} from '../types.js';
import type { SqliteLog } from './sqlite-log.js';

/** How often a caught-up consumer looks for new commits by other processes. */
const WAIT_STEP_MS = 10;

interface Assigned {
  topic: string;
  partition: number;
  position: number;
}

/**
 * A consumer over the embedded log. Partitions are assigned statically (all partitions of each
 * topic, or the ones named), positions start as `from` says, and a topic that does not exist yet
 * is picked up as soon as a producer creates it.
 */
export class SqliteConsumer implements Consumer {
  readonly group: string;
  private readonly assigned = new Map<string, Assigned>();
  private readonly from: NonNullable<ConsumerOptions['from']>;
  private readonly resetTo: NonNullable<ConsumerOptions['resetTo']>;
  private cursor = 0;
  private closed = false;
  private lastEmptyToken = '';

  constructor(
    private readonly log: SqliteLog,
    private readonly options: ConsumerOptions,
  ) {
    if (!options.group) throw new LogError('a consumer needs a group id');
    if (options.topics.length === 0) throw new LogError('a consumer needs at least one topic');
    this.group = options.group;
    this.from = options.from ?? 'committed';
    this.resetTo = options.resetTo ?? 'earliest';
    this.refreshAssignment();
  }

  /** Assign every partition of the subscribed topics that exists now (new topics appear later). */
  private refreshAssignment(): void {
    for (const topic of this.options.topics) {
      const meta = this.log.topicMeta(topic);
      if (!meta) continue;
      const offsets = this.log.offsets(meta);
      const committed = this.from === 'committed' ? this.log.committedSync(this.group, topic) : new Map<number, number>();
      for (let partition = 0; partition < meta.partitions; partition++) {
        const k = key(topic, partition);
        if (this.assigned.has(k)) continue;
        if (this.options.partitions && !this.options.partitions.some((tp) => tp.topic === topic && tp.partition === partition)) {
          continue;
        }
        const [start, end] = offsets[partition]!;
        const mode = this.from === 'committed' ? (committed.has(partition) ? 'committed' : this.resetTo) : this.from;
        const position = mode === 'committed' ? committed.get(partition)! : mode === 'earliest' ? start : end;
        this.assigned.set(k, { topic, partition, position });
      }
    }
  }

  async poll(options: PollOptions = {}): Promise<LogRecord[]> {
    const maxRecords = options.maxRecords ?? 5000;
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    for (;;) {
      this.assertOpen();
      const token = this.log.changeToken();
      if (token !== this.lastEmptyToken) {
        const records = this.readOnce(maxRecords);
        if (records.length > 0) return records;
        this.lastEmptyToken = token;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await sleep(Math.min(WAIT_STEP_MS, left));
    }
  }

  private readOnce(maxRecords: number): LogRecord[] {
    if (this.assigned.size < this.expectedPartitions()) this.refreshAssignment();
    const parts = [...this.assigned.values()];
    const out: LogRecord[] = [];
    if (parts.length === 0) return out;
    // Start at a rotating partition so one busy partition cannot starve the others.
    for (let i = 0; i < parts.length && out.length < maxRecords; i++) {
      const a = parts[(this.cursor + i) % parts.length]!;
      const meta = this.log.topicMeta(a.topic);
      if (!meta) continue;
      const [start, end] = this.log.offsets(meta)[a.partition]!;
      // Retention may have deleted what this consumer had not read yet: go on from the oldest kept.
      if (a.position < start) a.position = start;
      if (a.position >= end) continue;
      const rows = this.log.readRaw(meta, a.partition, a.position, maxRecords - out.length);
      for (const [offset, ts, k, value, headers] of rows) {
        out.push({
          topic: a.topic,
          partition: a.partition,
          offset,
          timestamp: ts,
          key: k,
          value,
          headers: headers === null ? null : (JSON.parse(headers) as Record<string, string>),
        });
      }
      if (rows.length > 0) a.position = rows[rows.length - 1]![0] + 1;
    }
    this.cursor = (this.cursor + 1) % parts.length;
    return out;
  }

  private expectedPartitions(): number {
    if (this.options.partitions) return this.options.partitions.length;
    let n = 0;
    for (const topic of this.options.topics) n += this.log.topicMeta(topic)?.partitions ?? 1;
    return n;
  }

  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    this.assertOpen();
    this.log.commitSync(this.group, offsets ?? this.positions());
  }

  positions(): TopicPartitionOffset[] {
    if (this.assigned.size < this.expectedPartitions()) this.refreshAssignment();
    return [...this.assigned.values()].map(({ topic, partition, position }) => ({ topic, partition, offset: position }));
  }

  seek(topic: string, partition: number, offset: number): void {
    this.refreshAssignment();
    const a = this.assigned.get(key(topic, partition));
    if (!a) throw new LogError(`seek: ${topic}[${partition}] is not assigned to this consumer`);
    if (!Number.isInteger(offset) || offset < 0) throw new LogError(`seek: offset must be a non-negative integer, got ${offset}`);
    a.position = offset;
    this.lastEmptyToken = '';
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError(`consumer of group ${this.group} is closed`);
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
