/**
 * Connections for reads. A Kafka server answers the requests of one connection in order, so a
 * long-poll fetch (a read waiting for data) would hold up every other read queued behind it on the
 * same connection: each read in flight takes a cluster connection set of its own from this pool,
 * and gives it back when done. Idle ones are kept (up to `maxIdle`) for the next reads.
 */
import type { Kafka } from 'kafkajs';
import { createFetchCluster, type InternalCluster } from './kafka-fetch-cluster.js';

export class FetchPool {
  private readonly idle: InternalCluster[] = [];
  private readonly all = new Set<InternalCluster>();
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly maxIdle = 8,
  ) {}

  async with<T>(use: (cluster: InternalCluster) => Promise<T>): Promise<T> {
    const cluster = this.idle.pop() ?? (await this.open());
    let healthy = false;
    try {
      const result = await use(cluster);
      healthy = true;
      return result;
    } finally {
      // A cluster that failed may hold a broken connection: drop it rather than reuse it.
      if (healthy && !this.closed && this.idle.length < this.maxIdle) this.idle.push(cluster);
      else void this.drop(cluster);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.all].map((c) => this.drop(c)));
  }

  private async open(): Promise<InternalCluster> {
    const cluster = createFetchCluster(this.kafka);
    this.all.add(cluster);
    try {
      await cluster.connect();
    } catch (error) {
      await this.drop(cluster);
      throw error;
    }
    return cluster;
  }

  private async drop(cluster: InternalCluster): Promise<void> {
    this.all.delete(cluster);
    await cluster.disconnect().catch(() => undefined);
  }
}
