/**
 * Writes a send's records to their partitions (one broker append per partition, all partitions
 * at once) and says where each landed. Every kind of write — a plain send, an idempotent send, a
 * transaction's outputs — goes through here, with the log's own headers it needs.
 */
import type { Broker } from './broker.js';
import { checkValue, toBrokerRecord } from './record-headers.js';
import type { RemoteTopics } from './remote-topics.js';
import { indexesByPartition, PartitionChooser } from '../partition-choice.js';
import type { ProducerRecord, RecordMetadata } from '../types.js';

export interface PlannedSend {
  topic: string;
  records: ProducerRecord[];
  /** Partition of each record. */
  partitions: number[];
}

export class OutputWriter {
  private readonly chooser = new PartitionChooser();

  /**
   * Consumers of this log still reading where they start. A write waits for them first, so a
   * `latest` consumer created before a send starts before that send's records, as it does on the
   * embedded log (where starting is synchronous).
   */
  private readonly starting = new Set<Promise<unknown>>();

  constructor(
    private readonly broker: Broker,
    private readonly topics: RemoteTopics,
  ) {}

  /** Tracks a consumer's start until it settles (whether it succeeded is the consumer's business). */
  consumerStarting(started: Promise<unknown>): void {
    const settled = started.then(
      () => undefined,
      () => undefined,
    );
    this.starting.add(settled);
    void settled.then(() => this.starting.delete(settled));
  }

  /** Chooses partitions (creating the topic if need be) without writing. */
  async plan(topic: string, records: ProducerRecord[]): Promise<PlannedSend> {
    records.forEach((r, i) => checkValue(topic, i, r));
    if (this.starting.size > 0) await Promise.all([...this.starting]);
    const count = await this.topics.ensure(topic);
    return { topic, records, partitions: this.chooser.choose(topic, count, records) };
  }

  /**
   * Writes the records at `indexes` of the plan (all when null), each with `own(i)` headers;
   * returns the metadata of each written record by index.
   */
  async write(plan: PlannedSend, own: (i: number) => Record<string, string> | null, indexes: number[] | null = null): Promise<Map<number, RecordMetadata>> {
    const chosen = indexes ?? plan.records.map((_, i) => i);
    const byPartition = indexesByPartition(chosen.map((i) => plan.partitions[i]!));
    const now = Date.now();
    const out = new Map<number, RecordMetadata>();
    await Promise.all(
      [...byPartition].map(async ([partition, positions]) => {
        const at = positions.map((p) => chosen[p]!);
        const first = await this.broker.append(
          plan.topic,
          partition,
          at.map((i) => toBrokerRecord(plan.records[i]!, now, own(i))),
        );
        at.forEach((i, n) => out.set(i, { topic: plan.topic, partition, offset: first + n }));
      }),
    );
    return out;
  }
}
