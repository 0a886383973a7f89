/**
 * `Broker.append` on Kafka: one produce of all the records to one partition, acks=all, so they
 * form one record batch and get consecutive offsets; the answer's base offset is the first's.
 * The producer is idempotent (the server drops a retried batch it already has) where the cluster
 * allows: kafkajs asks the controller for a producer id, and librdkafka's mock cluster names no
 * controller. There the producer is plain and does not retry a produce on its own (a retried
 * produce whose first try did land would write the records twice); the caller sees the error.
 */
import kafkajs, { type Kafka, type Producer } from 'kafkajs';
import type { BrokerRecord } from '../remote/broker.js';
import { LogError } from '../types.js';
import { toKafkaMessage } from './kafka-records.js';

const { Partitioners } = kafkajs;

export class KafkaAppender {
  private producer: Promise<Producer> | null = null;
  /** Whether the producer in use is idempotent (null until it is connected). */
  idempotent: boolean | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly hasController: () => Promise<boolean>,
  ) {}

  async append(topic: string, partition: number, records: BrokerRecord[]): Promise<number> {
    const producer = await this.connected();
    const answers = await producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => toKafkaMessage(r, partition)),
    });
    const answer = answers.find((a) => a.partition === partition);
    const base = answer?.baseOffset ?? answer?.offset;
    // kafkajs sends nothing for a partition it knows no leader of, and says nothing either.
    if (base === undefined) throw new LogError(`${topic} has no partition ${partition} (no leader known for it): nothing appended`);
    return Number(base);
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (producer !== null) await (await producer.catch(() => null))?.disconnect();
  }

  private connected(): Promise<Producer> {
    this.producer ??= this.connect().catch((error: unknown) => {
      this.producer = null; // try again on the next append
      throw error;
    });
    return this.producer;
  }

  private async connect(): Promise<Producer> {
    const idempotent = await this.hasController();
    const producer = this.kafka.producer({
      idempotent,
      maxInFlightRequests: 1,
      // Every record names its partition; the partitioner is given only to silence kafkajs's warning.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      ...(idempotent ? {} : { retry: { retries: 0 } }),
    });
    await producer.connect();
    this.idempotent = idempotent;
    return producer;
  }
}
