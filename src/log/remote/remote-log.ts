/**
 * The `EventLog` over any `Broker` (Kafka, NATS JetStream, or the tests' in-memory one).
 *
 * Design: the data topics hold only records; everything that must be decided once for every
 * process — transactions, group offset commits, idempotent producers' sequences — is a record in
 * one single-partition coordination topic (`__streamrec_tx`). Each process replays it in order
 * into a `CoordinationView` (state, group offsets, sequences, transaction outcomes) and catches up
 * before reading state or offsets. One partition gives one total order, so a conditional write
 * (`expectState`) needs no compare-and-set from the server: the first record in the log wins, the
 * same for every reader. Transactions follow Kafka's read_committed model (see
 * `remote-transaction.ts`), so outputs are written once, before the decision, and never again.
 *
 * Retention is the server's own (`enforceRetention` deletes nothing); `deleteRecords` trims each
 * partition to its end. The coordination topic must have no retention of the server's: it is
 * trimmed only behind a snapshot of the view (see `Coordinator`).
 */
import type { Broker } from './broker.js';
import { Coordinator } from './coordinator.js';
import { OutputWriter } from './output-writer.js';
import { RemoteConsumer } from './remote-consumer.js';
import { remoteProducer } from './remote-producer.js';
import { RemoteTopics } from './remote-topics.js';
import { remoteTransaction } from './remote-transaction.js';
import {
  LogError,
  type Consumer,
  type ConsumerOptions,
  type EventLog,
  type GroupLag,
  type LogValue,
  type Producer,
  type ProducerOptions,
  type TopicConfig,
  type TopicInfo,
  type TopicPartitionOffset,
  type Transaction,
} from '../types.js';

export interface RemoteLogOptions {
  /** Partitions of a topic a send creates (default 1). */
  defaultPartitions?: number;
  /** How long a transaction's outputs may stay undecided before a reader aborts it (default 60 s, Kafka's). */
  txTimeoutMs?: number;
  /** Coordination records between snapshots of the view, after which the log is trimmed (default 10,000; 0: never). */
  snapshotEvery?: number;
}

export class RemoteLog implements EventLog {
  readonly description: string;
  private readonly topicStore: RemoteTopics;
  private readonly coordinator: Coordinator;
  private readonly writer: OutputWriter;
  private readonly txTimeoutMs: number;
  private closed = false;

  constructor(
    private readonly broker: Broker,
    options: RemoteLogOptions = {},
  ) {
    this.description = broker.description;
    this.topicStore = new RemoteTopics(broker, options.defaultPartitions ?? 1);
    this.coordinator = new Coordinator(broker, options.snapshotEvery ?? 10_000);
    this.writer = new OutputWriter(broker, this.topicStore);
    this.txTimeoutMs = options.txTimeoutMs ?? 60_000;
  }

  // ---------------------------------------------------------------- topics

  async createTopic(name: string, config: TopicConfig): Promise<void> {
    this.assertOpen();
    await this.topicStore.create(name, config);
  }

  async ensureTopic(name: string, config: TopicConfig): Promise<number> {
    this.assertOpen();
    return this.topicStore.ensure(name, config);
  }

  async deleteTopic(name: string): Promise<void> {
    this.assertOpen();
    await this.topicStore.delete(name);
    await this.coordinator.write({ t: 'delete-topic', topic: name });
  }

  async deleteRecords(name: string): Promise<number> {
    this.assertOpen();
    const count = await this.topicStore.require(name);
    const deleted = await Promise.all(
      Array.from({ length: count }, async (_, p) => {
        const { start, end } = await this.broker.offsets(name, p);
        if (end > start) await this.broker.trimBefore(name, p, end);
        return end - start;
      }),
    );
    return deleted.reduce((a, b) => a + b, 0);
  }

  async topics(): Promise<TopicInfo[]> {
    this.assertOpen();
    const infos = await Promise.all((await this.topicStore.names()).map((n) => this.topicStore.info(n)));
    return infos.filter((i): i is TopicInfo => i !== null);
  }

  async topic(name: string): Promise<TopicInfo | null> {
    this.assertOpen();
    return this.topicStore.info(name);
  }

  // ---------------------------------------------------------------- producers and consumers

  producer(options: ProducerOptions = {}): Producer {
    this.assertOpen();
    return remoteProducer({ coordinator: this.coordinator, writer: this.writer, assertOpen: () => this.assertOpen() }, options);
  }

  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    const consumer = new RemoteConsumer({ broker: this.broker, topics: this.topicStore, coordinator: this.coordinator, txTimeoutMs: this.txTimeoutMs }, options);
    this.writer.consumerStarting(consumer.started());
    return consumer;
  }

  // ---------------------------------------------------------------- groups

  async committed(group: string, topic: string): Promise<TopicPartitionOffset[]> {
    this.assertOpen();
    await this.coordinator.catchUp();
    return [...this.coordinator.view.committed(group, topic)]
      .sort((a, b) => a[0] - b[0])
      .map(([partition, offset]) => ({ topic, partition, offset }));
  }

  /** Lag = end offset − committed offset, per committed partition of a topic that still exists. */
  async groups(): Promise<GroupLag[]> {
    this.assertOpen();
    await this.coordinator.catchUp();
    const rows = this.coordinator.view.allCommitted();
    const ends = new Map<string, Promise<number | null>>();
    const endOf = (topic: string, partition: number): Promise<number | null> => {
      const k = `${topic}\u0000${partition}`;
      let end = ends.get(k);
      if (!end) {
        end = this.topicStore.partitions(topic).then(async (n) => (n === null || partition >= n ? null : (await this.broker.offsets(topic, partition)).end));
        ends.set(k, end);
      }
      return end;
    };
    const out: GroupLag[] = [];
    for (const [group, topic, partition, committed] of rows) {
      const endOffset = await endOf(topic, partition);
      if (endOffset === null) continue;
      out.push({ group, topic, partition, committed, endOffset, lag: Math.max(0, endOffset - committed) });
    }
    return out;
  }

  async deleteGroup(group: string): Promise<void> {
    this.assertOpen();
    await this.coordinator.write({ t: 'delete-group', group });
  }

  // ---------------------------------------------------------------- transactions and state

  transaction(): Transaction {
    this.assertOpen();
    return remoteTransaction({ coordinator: this.coordinator, writer: this.writer });
  }

  async getState(namespace: string, key: string): Promise<LogValue | null> {
    this.assertOpen();
    await this.coordinator.catchUp();
    return this.coordinator.view.getState(namespace, key);
  }

  /** The servers apply their own retention (Kafka's retention.ms, JetStream's max_age). */
  async enforceRetention(): Promise<number> {
    this.assertOpen();
    return 0;
  }

  // ---------------------------------------------------------------- lifecycle

  private assertOpen(): void {
    if (this.closed) throw new LogError('the event log is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.broker.close();
  }
}
