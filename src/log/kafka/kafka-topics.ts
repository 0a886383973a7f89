/**
 * Topics and offsets through kafkajs's admin client: create, list, describe, delete, offsets,
 * trim. Creating and deleting topics are requests to the cluster's controller; librdkafka's mock
 * cluster (the test server) names no controller and implements neither CreateTopics, DeleteTopics
 * nor DeleteRecords. There a topic is created the way the mock allows, by naming it in a metadata
 * request (auto-create, with the server's default partition count, which `ensureTopic` returns);
 * deleting topics or records fails with a LogError naming the request the server lacks. (The mock
 * also auto-creates a missing topic named in any request, offsets or reads included: kafkajs speaks
 * Metadata v2 to it, older than the request's allowAutoTopicCreation flag.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { LogError } from '../types.js';
import type { PartitionOffsets } from '../remote/broker.js';
import { isUnsupported } from './kafka-errors.js';

export class KafkaTopics {
  private controller: Promise<boolean> | null = null;

  constructor(
    private readonly admin: () => Promise<Admin>,
    private readonly where: string,
  ) {}

  /** Whether the cluster names a controller it can reach (a real cluster does; the mock does not). */
  hasController(): Promise<boolean> {
    this.controller ??= this.admin()
      .then((a) => a.describeCluster())
      .then(({ controller, brokers }) => controller !== null && brokers.some((b) => b.nodeId === controller))
      .catch((error: unknown) => {
        this.controller = null; // ask again next time: the server may just not be up yet
        throw error;
      });
    return this.controller;
  }

  async ensure(name: string, partitions: number): Promise<number> {
    const existing = await this.partitions(name);
    if (existing !== null) return existing;
    const admin = await this.admin();
    if (await this.hasController()) {
      // False (not an error) when another process created it first; either way it exists now.
      await admin.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
    } else {
      // No controller to send CreateTopics to (librdkafka's mock): a metadata request naming the
      // topic auto-creates it with the server's default partition count.
      await admin.fetchTopicMetadata({ topics: [name] });
    }
    const made = await this.partitions(name);
    if (made === null) throw new LogError(`Kafka server(s) ${this.where} did not create topic ${name}`);
    return made;
  }

  /** From the metadata of all topics: naming one topic in the request would auto-create it on some servers. */
  async partitions(name: string): Promise<number | null> {
    const { topics } = await (await this.admin()).fetchTopicMetadata();
    const topic = topics.find((t) => t.name === name);
    return topic === undefined ? null : topic.partitions.length;
  }

  async list(): Promise<string[]> {
    return (await this.admin()).listTopics();
  }

  async delete(name: string): Promise<void> {
    if ((await this.partitions(name)) === null) return;
    if (!(await this.hasController())) {
      throw new LogError(
        `cannot delete topic ${name}: Kafka server(s) ${this.where} name no controller to send DeleteTopics to (librdkafka's mock cluster lacks DeleteTopics)`,
      );
    }
    await (await this.admin()).deleteTopics({ topics: [name] });
  }

  async offsets(name: string, partition: number): Promise<PartitionOffsets> {
    const all = await this.topicOffsets(name);
    const one = all.find((o) => o.partition === partition);
    if (one === undefined) throw new LogError(`topic ${name} has no partition ${partition} on Kafka server(s) ${this.where}`);
    return { start: Number(one.low), end: Number(one.high), bytes: null };
  }

  /**
   * kafkajs meets a ListOffsets reply that lacks the topic (its leader moving, metadata not yet
   * fresh — seen on librdkafka's mock under load) with a TypeError from inside
   * fetchTopicOffsets: asked again, after a moment, it answers.
   */
  private async topicOffsets(name: string): Promise<Awaited<ReturnType<Admin['fetchTopicOffsets']>>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await (await this.admin()).fetchTopicOffsets(name);
      } catch (err) {
        if (!(err instanceof TypeError) || attempt >= 5) throw err;
        await sleep(100 * attempt);
      }
    }
  }

  async trimBefore(name: string, partition: number, offset: number): Promise<void> {
    const { start, end } = await this.offsets(name, partition);
    if (offset <= start) return;
    try {
      await (await this.admin()).deleteTopicRecords({ topic: name, partitions: [{ partition, offset: String(Math.min(offset, end)) }] });
    } catch (error) {
      if (!isUnsupported(error)) throw error;
      throw new LogError(
        `cannot trim ${name}[${partition}]: Kafka server(s) ${this.where} do not support DeleteRecords (librdkafka's mock cluster lacks it)`,
        { cause: error },
      );
    }
  }
}
