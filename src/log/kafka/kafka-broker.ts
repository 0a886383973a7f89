/**
 * The `Broker` a remote log runs on, over a Kafka cluster through kafkajs: appends by a producer
 * (`kafka-producer.ts`), reads by fetch requests to partition leaders (`kafka-reader.ts`), topics
 * and offsets by the admin client (`kafka-topics.ts`), names under the prefix (`kafka-names.ts`).
 * Every failure surfaces as a LogError naming the servers and the operation.
 */
import kafkajs, { type Admin } from 'kafkajs';
import type { Broker, BrokerRecord, PartitionOffsets, StoredRecord } from '../remote/broker.js';
import { kafkaCall } from './kafka-errors.js';
import { FetchPool } from './kafka-fetch-pool.js';
import { describeKafka, localTopic, serverTopic, type KafkaUrl } from './kafka-names.js';
import { KafkaAppender } from './kafka-producer.js';
import { readPartition, type ReadOptions } from './kafka-reader.js';
import { KafkaTopics } from './kafka-topics.js';

const { Kafka, logLevel } = kafkajs;

/** How long one fetch waits on librdkafka's mock cluster: the latency of a waiting read there. */
const MOCK_FETCH_WAIT_SLICE_MS = 20;

export type { KafkaUrl } from './kafka-names.js';

export function createKafkaBroker(url: KafkaUrl): Broker {
  return new KafkaBroker(url);
}

class KafkaBroker implements Broker {
  readonly description: string;
  private readonly pool: FetchPool;
  private readonly topics: KafkaTopics;
  private readonly appender: KafkaAppender;
  private admin: Promise<Admin> | null = null;

  constructor(private readonly url: KafkaUrl) {
    this.description = describeKafka(url);
    const kafka = new Kafka({
      clientId: 'streamrec',
      brokers: url.servers,
      connectionTimeout: 3000,
      // Errors come back to the caller as LogErrors; kafkajs's own console log would say them twice.
      logLevel: logLevel.NOTHING,
      retry: { retries: 4, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    this.pool = new FetchPool(kafka);
    this.topics = new KafkaTopics(() => this.connectedAdmin(kafka), url.servers.join(','));
    this.appender = new KafkaAppender(kafka, () => this.topics.hasController());
  }

  ensureTopic(name: string, partitions: number): Promise<number> {
    return this.call(`create topic ${name}`, () => this.topics.ensure(this.server(name), partitions));
  }

  partitions(name: string): Promise<number | null> {
    return this.call(`describe topic ${name}`, () => this.topics.partitions(this.server(name)));
  }

  listTopics(): Promise<string[]> {
    return this.call('list topics', async () =>
      (await this.topics.list()).flatMap((t) => localTopic(this.url, t) ?? []).sort(),
    );
  }

  deleteTopic(name: string): Promise<void> {
    return this.call(`delete topic ${name}`, () => this.topics.delete(this.server(name)));
  }

  async append(topic: string, partition: number, records: BrokerRecord[]): Promise<number> {
    if (records.length === 0) return (await this.offsets(topic, partition)).end;
    return this.call(`append to ${topic}[${partition}]`, () => this.appender.append(this.server(topic), partition, records));
  }

  read(topic: string, partition: number, offset: number, max: number, waitMs: number): Promise<StoredRecord[]> {
    return this.call(`read ${topic}[${partition}] from ${offset}`, () =>
      this.readOptions().then((options) =>
        readPartition(this.pool, (t, p) => this.topics.offsets(t, p), options, {
          topic: this.server(topic),
          partition,
          offset,
          max,
          waitMs,
        }),
      ),
    );
  }

  offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    return this.call(`offsets of ${topic}[${partition}]`, () => this.topics.offsets(this.server(topic), partition));
  }

  trimBefore(topic: string, partition: number, offset: number): Promise<void> {
    return this.call(`trim ${topic}[${partition}] before ${offset}`, () =>
      this.topics.trimBefore(this.server(topic), partition, offset),
    );
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await Promise.all([
      this.appender.close(),
      this.pool.close(),
      admin?.then((a) => a.disconnect()).catch(() => undefined),
    ]);
  }

  /** A cluster without a controller is librdkafka's mock, whose fetches do not wake on new data. */
  private async readOptions(): Promise<ReadOptions> {
    return { fetchWaitSliceMs: (await this.topics.hasController()) ? null : MOCK_FETCH_WAIT_SLICE_MS };
  }

  private server(topic: string): string {
    return serverTopic(this.url, topic);
  }

  private call<T>(what: string, run: () => Promise<T>): Promise<T> {
    return kafkaCall(this.url.servers, what, run);
  }

  private connectedAdmin(kafka: InstanceType<typeof Kafka>): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    })().catch((error: unknown) => {
      this.admin = null; // try again on the next call
      throw error;
    });
    return this.admin;
  }
}
