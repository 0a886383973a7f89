/**
 * The part of kafkajs's internal cluster that its own consumer fetches with. kafkajs offers no
 * manual partition assignment: its only public reader is a group consumer, which must join a group
 * (seconds of rebalance) before a `seek`, and cannot read one partition from an arbitrary offset on
 * demand. A fetch request to the partition's leader can, in one round trip, with the server's own
 * long-poll (maxWaitTime) as the wait. kafkajs 2.2.4 is its last release (the project is no longer
 * maintained), so these internals are fixed; the shapes are declared here, once, and checked by
 * the tests against a live server.
 */
import type { Kafka } from 'kafkajs';
import type { FetchedMessage } from './kafka-records.js';

export interface FetchPartitionResult {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: FetchedMessage[];
}

export interface FetchResponse {
  responses: { topicName: string; partitions: FetchPartitionResult[] }[];
}

export interface FetchRequest {
  replicaId: number;
  isolationLevel: number;
  maxWaitTime: number;
  minBytes: number;
  maxBytes: number;
  topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
}

export interface InternalBroker {
  fetch(request: FetchRequest): Promise<FetchResponse>;
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  /** Leader node id → the partitions it leads, of those asked. */
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(node: { nodeId: string }): Promise<InternalBroker>;
}

type CreateCluster = (options: { allowAutoTopicCreation: boolean; isolationLevel?: number }) => InternalCluster;

/** A new cluster connection set with the client's own settings (servers, TLS, SASL, retries, logger). */
export function createFetchCluster(kafka: Kafka): InternalCluster {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const create = symbol === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[symbol];
  if (typeof create !== 'function') {
    throw new Error('this kafkajs has no internal createCluster (streamrec needs kafkajs 2.2.x)');
  }
  // Records in open transactions of other producers stay hidden (READ_COMMITTED, kafkajs's default).
  return (create as CreateCluster)({ allowAutoTopicCreation: false, isolationLevel: 1 });
}
