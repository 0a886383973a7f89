/**
 * `Broker.read` on Kafka: a fetch of one partition from its leader, waiting on the server
 * (maxWaitTime) rather than polling from here. A fetch answers whole record batches, so records
 * below the asked offset are dropped here; control records (transaction markers) and offsets
 * missing after compaction are skipped by fetching again from past them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionOffsets, StoredRecord } from '../remote/broker.js';
import type { FetchPartitionResult, InternalCluster } from './kafka-fetch-cluster.js';
import type { FetchPool } from './kafka-fetch-pool.js';
import { fromKafkaMessage } from './kafka-records.js';

/** Bytes asked a fetch; a larger first record is still returned whole (Kafka's KIP-74). */
const FETCH_MAX_BYTES = 1 << 20;
/** Leadership moves and metadata lag are retried this often before the error surfaces. */
const METADATA_RETRIES = 3;
const STALE_METADATA = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH']);

export type OffsetsOf = (serverTopic: string, partition: number) => Promise<PartitionOffsets>;

export interface ReadOptions {
  /**
   * Longest wait one fetch asks of the server, or null for the whole wait. Kafka answers a waiting
   * fetch as soon as a record arrives; librdkafka's mock answers with what it had when the fetch
   * came in, only after the whole wait: there reads wait in short fetches instead.
   */
  fetchWaitSliceMs: number | null;
}

/** One `Broker.read`, with the topic's name on the server. */
export interface ReadRequest {
  topic: string;
  partition: number;
  offset: number;
  max: number;
  waitMs: number;
}

export async function readPartition(pool: FetchPool, offsetsOf: OffsetsOf, options: ReadOptions, request: ReadRequest): Promise<StoredRecord[]> {
  // One connection set for the whole read: the follow-up fetches below must not wait for a new one.
  return pool.with((cluster) => readWith(cluster, offsetsOf, options, request));
}

async function readWith(
  cluster: InternalCluster,
  offsetsOf: OffsetsOf,
  options: ReadOptions,
  { topic, partition, offset, max, waitMs }: ReadRequest,
): Promise<StoredRecord[]> {
  const deadline = Date.now() + Math.max(0, waitMs);
  const kept: StoredRecord[] = [];
  let from = offset;
  for (;;) {
    const remaining = kept.length > 0 ? 0 : Math.max(0, deadline - Date.now());
    const wait = options.fetchWaitSliceMs === null ? remaining : Math.min(remaining, options.fetchWaitSliceMs);
    let result: FetchPartitionResult;
    try {
      result = await fetchOnce(cluster, topic, partition, from, wait);
    } catch (error) {
      if (errorType(error) !== 'OFFSET_OUT_OF_RANGE' || kept.length > 0) {
        if (kept.length > 0) return kept; // trimmed or moved meanwhile: give what was read
        throw error;
      }
      const held = await offsetsOf(topic, partition);
      if (from < held.start) {
        from = held.start; // trimmed: go on from the first record still held
        continue;
      }
      // Past the end (a reader ahead of the log): look again shortly, until the wait is over.
      if (remaining === 0) return [];
      await sleep(Math.min(remaining, 100));
      continue;
    }
    let last = -1;
    for (const message of result.messages) {
      const at = Number(message.offset);
      if (at < from) continue;
      last = Math.max(last, at);
      if (message.isControlRecord) continue;
      kept.push(fromKafkaMessage(message));
      if (kept.length === max) return kept;
    }
    // Skip past control records and gaps; a server may answer one record batch a fetch (the mock
    // does), so fetch on, without waiting, while the partition holds more than has been read.
    const progressed = last >= from;
    if (progressed) from = last + 1;
    // A fetch that brought nothing new ends the filling: what is left may be invisible to this read
    // (another producer's open transaction, below the high watermark but above the stable offset).
    if (kept.length > 0) {
      if (progressed && Number(result.highWatermark) > from) continue;
      return kept;
    }
    if (!progressed && Date.now() >= deadline) return [];
  }
}

async function fetchOnce(
  cluster: InternalCluster,
  topic: string,
  partition: number,
  offset: number,
  waitMs: number,
): Promise<FetchPartitionResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      await cluster.addTargetTopic(topic);
      const leaders = cluster.findLeaderForPartitions(topic, [partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) throw Object.assign(new Error(`${topic} has no partition ${partition} (no leader known for it)`), { type: 'LEADER_NOT_AVAILABLE' });
      const broker = await cluster.findBroker({ nodeId });
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: waitMs,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: FETCH_MAX_BYTES }] }],
      });
      const found = response.responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
      return found ?? { partition, errorCode: 0, highWatermark: String(offset), messages: [] };
    } catch (error) {
      if (attempt >= METADATA_RETRIES || !STALE_METADATA.has(errorType(error) ?? '')) throw error;
      await cluster.refreshMetadata();
    }
  }
}

function errorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}
