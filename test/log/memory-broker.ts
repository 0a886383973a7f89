/**
 * An in-memory `Broker` for tests: what the remote log core needs from a server, nothing more.
 * Several brokers over one `MemoryBrokerStore` are several processes on one server; closing a
 * broker keeps the store (a restart).
 */
import type { Broker, BrokerRecord, PartitionOffsets, StoredRecord } from '../../src/log/remote/broker.js';
import { LogError } from '../../src/log/types.js';

interface MemoryPartition {
  start: number;
  records: StoredRecord[];
}

export class MemoryBrokerStore {
  readonly topics = new Map<string, MemoryPartition[]>();
  private waiters = new Set<() => void>();

  changed(): void {
    const waiting = this.waiters;
    this.waiters = new Set();
    for (const wake of waiting) wake();
  }

  /** Resolves at the next change or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }
}

function size(r: BrokerRecord): number {
  return (typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.byteLength) + (r.key?.length ?? 0);
}

export class MemoryBroker implements Broker {
  readonly description = 'memory://test';
  private closed = false;

  constructor(readonly store: MemoryBrokerStore = new MemoryBrokerStore()) {}

  private partition(topic: string, partition: number): MemoryPartition {
    if (this.closed) throw new LogError('memory broker is closed');
    const p = this.store.topics.get(topic)?.[partition];
    if (!p) throw new LogError(`memory broker: no partition ${topic}[${partition}]`);
    return p;
  }

  async ensureTopic(name: string, partitions: number): Promise<number> {
    const existing = this.store.topics.get(name);
    if (existing) return existing.length;
    this.store.topics.set(name, Array.from({ length: partitions }, () => ({ start: 0, records: [] })));
    return partitions;
  }

  async partitions(name: string): Promise<number | null> {
    return this.store.topics.get(name)?.length ?? null;
  }

  async listTopics(): Promise<string[]> {
    return [...this.store.topics.keys()];
  }

  async deleteTopic(name: string): Promise<void> {
    this.store.topics.delete(name);
    this.store.changed();
  }

  async append(topic: string, partition: number, records: BrokerRecord[]): Promise<number> {
    const p = this.partition(topic, partition);
    const first = p.start + p.records.length;
    // Stored as copies: a caller reusing its objects must not change what was written.
    records.forEach((r, i) => p.records.push({ ...r, headers: r.headers ? { ...r.headers } : null, offset: first + i }));
    this.store.changed();
    return first;
  }

  async read(topic: string, partition: number, offset: number, max: number, waitMs: number): Promise<StoredRecord[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const p = this.partition(topic, partition);
      const from = Math.max(offset, p.start) - p.start;
      if (from < p.records.length) return p.records.slice(from, from + max);
      const left = deadline - Date.now();
      if (left <= 0) return [];
      await this.store.waitForChange(left);
    }
  }

  async offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    const p = this.partition(topic, partition);
    return { start: p.start, end: p.start + p.records.length, bytes: p.records.reduce((sum, r) => sum + size(r), 0) };
  }

  async trimBefore(topic: string, partition: number, offset: number): Promise<void> {
    const p = this.partition(topic, partition);
    const drop = Math.min(Math.max(0, offset - p.start), p.records.length);
    p.records.splice(0, drop);
    p.start += drop;
    this.store.changed();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
