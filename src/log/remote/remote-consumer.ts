/**
 * A consumer over a remote log: static assignment (every partition of each topic, or the ones
 * named; topics created later are picked up), positions from `from`, and Kafka's read_committed
 * rule — a record written by a transaction shows only once the coordination log says it
 * committed; an aborted or fenced one is skipped; an undecided one stops its partition there (the
 * records behind it wait), and once it stays undecided past the transaction timeout (its writer
 * died between writing outputs and deciding) this reader aborts it in the coordination log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker, PartitionOffsets, StoredRecord } from './broker.js';
import type { Coordinator } from './coordinator.js';
import { duplicateKey } from './coordination-view.js';
import { ownHeaders, toLogRecord } from './record-headers.js';
import type { RemoteTopics } from './remote-topics.js';
import { type Consumer, type ConsumerOptions, type LogRecord, type PollOptions, type TopicPartitionOffset } from '../types.js';
import { checkSeekOffset, closedConsumerError, consumerSettings, notAssignedError, partitionKey, startPosition, type AssignedPartition } from '../consumer-parts.js';

/** How often a caught-up consumer of several partitions looks again (one partition waits in the read). */
const WAIT_STEP_MS = 25;
/** The least a partition's read asks for, however many partitions share maxRecords. */
const MIN_SHARE = 100;
/** How often a consumer looks for subscribed topics that do not exist yet. */
const REFRESH_MS = 200;

export interface ConsumerParts {
  broker: Broker;
  topics: RemoteTopics;
  coordinator: Coordinator;
  /** How long a transaction's outputs may stay undecided before a reader aborts it. */
  txTimeoutMs: number;
}

export class RemoteConsumer implements Consumer {
  readonly group: string;
  private readonly assigned = new Map<string, AssignedPartition>();
  private readonly from: NonNullable<ConsumerOptions['from']>;
  private readonly resetTo: NonNullable<ConsumerOptions['resetTo']>;
  private readonly pendingSeeks = new Map<string, number>();
  private readonly undecidedSince = new Map<string, number>();
  private ready: Promise<void>;
  private lastRefresh = 0;
  private cursor = 0;
  private closed = false;

  constructor(
    private readonly parts: ConsumerParts,
    private readonly options: ConsumerOptions,
  ) {
    ({ group: this.group, from: this.from, resetTo: this.resetTo } = consumerSettings(options));
    // Started now, not at the first poll: `latest` means the end as of creating the consumer.
    this.ready = this.refreshAssignment();
    // A failure (the server unreachable) is thrown by the next poll or commit, not left unhandled.
    this.ready.catch(() => undefined);
  }

  /** Settles once the first assignment read has (where each partition starts is known). */
  started(): Promise<void> {
    return this.ready;
  }

  /** The assignment read so far; after a failed read, the next poll reads it again. */
  private async assignment(): Promise<void> {
    try {
      await this.ready;
    } catch (err) {
      this.ready = Promise.resolve();
      this.lastRefresh = 0;
      throw err;
    }
  }

  private wanted(topic: string, partition: number): boolean {
    return !this.options.partitions || this.options.partitions.some((tp) => tp.topic === topic && tp.partition === partition);
  }

  /** Assigns every wanted partition of the subscribed topics that exists now. */
  private async refreshAssignment(): Promise<void> {
    this.lastRefresh = Date.now();
    await Promise.all(
      this.options.topics.map(async (topic) => {
        const count = await this.parts.topics.partitions(topic);
        if (count === null) return;
        const partitions = Array.from({ length: count }, (_, p) => p).filter((p) => !this.assigned.has(partitionKey(topic, p)) && this.wanted(topic, p));
        if (partitions.length === 0) return;
        const offsets = await Promise.all(partitions.map((p) => this.parts.broker.offsets(topic, p)));
        let committed = new Map<number, number>();
        if (this.from === 'committed') {
          await this.parts.coordinator.catchUp();
          committed = this.parts.coordinator.view.committed(this.group, topic);
        }
        partitions.forEach((partition, i) => this.assign(topic, partition, offsets[i]!, committed));
      }),
    );
  }

  private assign(topic: string, partition: number, offsets: PartitionOffsets, committed: Map<number, number>): void {
    const k = partitionKey(topic, partition);
    if (this.assigned.has(k)) return;
    let position = startPosition(this.from, this.resetTo, committed.get(partition), offsets);
    const seek = this.pendingSeeks.get(k);
    if (seek !== undefined) {
      position = seek;
      this.pendingSeeks.delete(k);
    }
    this.assigned.set(k, { topic, partition, position });
  }

  private expectedPartitions(): number {
    if (this.options.partitions) return this.options.partitions.length;
    return this.options.topics.length;
  }

  async poll(options: PollOptions = {}): Promise<LogRecord[]> {
    const maxRecords = options.maxRecords ?? 5000;
    const deadline = Date.now() + (options.timeoutMs ?? 0);
    await this.assignment();
    for (;;) {
      this.assertOpen();
      if (this.missingTopics() && Date.now() - this.lastRefresh >= REFRESH_MS) await this.refreshAssignment();
      const left = deadline - Date.now();
      const { out, read } = await this.readOnce(maxRecords, this.assigned.size === 1 ? Math.max(0, left) : 0);
      if (out.length > 0) return out;
      const rest = deadline - Date.now();
      if (rest <= 0) return [];
      // One partition waited in its read, unless it read records it could not show (undecided).
      if (this.assigned.size !== 1 || read > 0) await sleep(Math.min(WAIT_STEP_MS, rest));
    }
  }

  /** Whether some subscribed topic has no partition assigned yet (it may not exist yet). */
  private missingTopics(): boolean {
    if (this.options.partitions) return this.assigned.size < this.expectedPartitions();
    const topics = new Set([...this.assigned.values()].map((a) => a.topic));
    return this.options.topics.some((t) => !topics.has(t));
  }

  /** Visible records of the assigned partitions, at most maxRecords in all. */
  private async readOnce(maxRecords: number, waitMs: number): Promise<{ out: LogRecord[]; read: number }> {
    // Start at a rotating partition so one busy partition cannot starve the others.
    const all = [...this.assigned.values()];
    const parts = all.map((_, i) => all[(this.cursor + i) % all.length]!);
    if (all.length > 0) this.cursor = (this.cursor + 1) % all.length;
    // Every partition read at once (each read is a round trip to the server), a fair share each;
    // what is not taken is read again next time.
    const share = Math.max(Math.ceil(maxRecords / Math.max(1, parts.length)), Math.min(maxRecords, MIN_SHARE));
    const batches = await Promise.all(parts.map((a) => this.parts.broker.read(a.topic, a.partition, a.position, share, waitMs)));
    const out: LogRecord[] = [];
    let read = 0;
    for (let i = 0; i < parts.length && out.length < maxRecords; i++) {
      read += batches[i]!.length;
      await this.takeVisible(parts[i]!, batches[i]!, out, maxRecords);
    }
    return { out, read };
  }

  /** Moves `a` past what it read, keeping the records readers may see; stops at an undecided one. */
  private async takeVisible(a: AssignedPartition, records: StoredRecord[], out: LogRecord[], maxRecords: number): Promise<void> {
    const view = this.parts.coordinator.view;
    let caughtUp = false;
    for (const r of records) {
      if (out.length >= maxRecords) return;
      const own = ownHeaders(r);
      if (own?.tx) {
        let outcome = view.outcome(own.tx);
        if (!outcome && !caughtUp) {
          await this.parts.coordinator.catchUp();
          caughtUp = true;
          outcome = view.outcome(own.tx);
        }
        if (!outcome) {
          await this.undecided(own.tx);
          return;
        }
        this.undecidedSince.delete(own.tx);
        const hidden =
          outcome.state !== 'committed' ||
          (own.sequence !== null && (outcome.duplicates?.has(duplicateKey(a.topic, a.partition, own.sequence)) ?? false));
        if (hidden) {
          a.position = r.offset + 1;
          continue;
        }
      }
      out.push(toLogRecord(a.topic, a.partition, r));
      a.position = r.offset + 1;
    }
  }

  /** A transaction whose outputs are written but not decided: abort it once it is too old. */
  private async undecided(txId: string): Promise<void> {
    const now = Date.now();
    const since = this.undecidedSince.get(txId);
    if (since === undefined) {
      this.undecidedSince.set(txId, now);
      return;
    }
    if (now - since < this.parts.txTimeoutMs) return;
    // The first of the transaction's record and this abort in the coordination log decides.
    await this.parts.coordinator.write({ t: 'abort', id: txId });
    this.undecidedSince.delete(txId);
  }

  async commit(offsets?: TopicPartitionOffset[]): Promise<void> {
    this.assertOpen();
    await this.assignment();
    const list = (offsets ?? this.positions()).map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    await this.parts.coordinator.write({ t: 'offsets', group: this.group, offsets: list });
  }

  positions(): TopicPartitionOffset[] {
    return [...this.assigned.values()].map(({ topic, partition, position }) => ({ topic, partition, offset: position }));
  }

  seek(topic: string, partition: number, offset: number): void {
    checkSeekOffset(offset);
    if (!this.options.topics.includes(topic) || !this.wanted(topic, partition)) {
      throw notAssignedError(topic, partition);
    }
    const a = this.assigned.get(partitionKey(topic, partition));
    // Not assigned yet (the assignment is still being read): applied when it is.
    if (a) a.position = offset;
    else this.pendingSeeks.set(partitionKey(topic, partition), offset);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw closedConsumerError(this.group);
  }
}
