/**
 * Bulk reads of a partition's stream through ordered consumers: one fetch delivers many messages
 * (a direct get is a request per message). A consumer is kept per stream and position and reused
 * while its reader reads on from where it stopped — the usual case — so a catch-up streams; a
 * read elsewhere gets a consumer of its own (a few per stream, the least recently used dropped).
 */
import { DeliverPolicy, type Consumer, type JetStreamClient } from '@nats-io/jetstream';
import { fromMessage } from './nats-records.js';
import type { StoredRecord } from '../remote/broker.js';

/** Consumers kept per stream (readers at different positions: a pipeline and a lake sink). */
const PER_STREAM = 4;
/** A consumer unused this long may have been removed by the server: make a new one. */
const IDLE_MS = 3000;
/** A fetch asks only for messages known to exist, so it returns at once; this bounds a purge in between. */
const FETCH_EXPIRES_MS = 2000;

interface Cursor {
  consumer: Consumer;
  /** The sequence the next fetch delivers. */
  next: number;
  busy: boolean;
  usedAt: number;
}

export class NatsReader {
  private readonly cursors = new Map<string, Cursor[]>();

  constructor(private readonly js: JetStreamClient) {}

  /**
   * Up to `count` messages from sequence `from` (all known to be stored). A read that fails is
   * tried once more through a new consumer at the same sequence: the usual cause is a kept
   * consumer the server removed meanwhile (its inactivity threshold passed while this process was
   * busy or paused: "consumer not found"); anything else fails again and is thrown.
   */
  async read(stream: string, from: number, count: number): Promise<StoredRecord[]> {
    try {
      return await this.readOnce(stream, from, count);
    } catch {
      return await this.readOnce(stream, from, count);
    }
  }

  private async readOnce(stream: string, from: number, count: number): Promise<StoredRecord[]> {
    const cursor = await this.cursor(stream, from);
    cursor.busy = true;
    const out: StoredRecord[] = [];
    try {
      const messages = await cursor.consumer.fetch({ max_messages: count, expires: FETCH_EXPIRES_MS });
      for await (const m of messages) {
        out.push(fromMessage({ seq: m.seq, data: m.data, header: m.headers, storedAt: Math.floor(Number(m.info.timestampNanos) / 1e6) }));
        cursor.next = m.seq + 1;
        if (out.length >= count) break;
      }
    } catch (err) {
      // A consumer that failed is not trusted again.
      this.drop(stream, cursor);
      throw err;
    } finally {
      cursor.busy = false;
      cursor.usedAt = Date.now();
    }
    return out;
  }

  private async cursor(stream: string, from: number): Promise<Cursor> {
    const list = this.cursors.get(stream) ?? [];
    this.cursors.set(stream, list);
    const now = Date.now();
    const found = list.find((c) => !c.busy && c.next === from && now - c.usedAt < IDLE_MS);
    if (found) return found;
    const consumer = await this.js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
    const cursor: Cursor = { consumer, next: from, busy: false, usedAt: now };
    list.push(cursor);
    if (list.length > PER_STREAM) {
      const idle = list.filter((c) => !c.busy).sort((a, b) => a.usedAt - b.usedAt)[0];
      if (idle && idle !== cursor) this.drop(stream, idle);
    }
    return cursor;
  }

  private drop(stream: string, cursor: Cursor): void {
    const list = this.cursors.get(stream);
    const at = list ? list.indexOf(cursor) : -1;
    if (at >= 0) list!.splice(at, 1);
    // The server removes an ordered consumer's ephemeral consumer once it is inactive.
    void cursor.consumer.delete().catch(() => undefined);
  }

  /** Forgets a deleted stream's consumers. */
  forget(stream: string): void {
    this.cursors.delete(stream);
  }
}
