/**
 * The `Broker` over NATS JetStream: one stream per topic partition (see `nats-names.ts`), offset =
 * stream sequence − 1. Appends are parallel publishes awaited in order (each resolves at the
 * server's ack: stored); short reads are direct gets by sequence, long ones fetch through an
 * ordered consumer (`nats-reader.ts`); a read that finds
 * nothing waits on a plain subscription to the partition's subject, which sees every publish.
 * `trimBefore` is a purge up to a sequence, which keeps the sequence going. The connection is
 * made on first use, so opening the log stays synchronous.
 *
 * Appends of one call get consecutive offsets as long as nobody else appends to that partition at
 * the same moment (JetStream 2.9 has no atomic batch); the remote core depends on that only for
 * the offsets it reports, never for which records readers see.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import type { Broker, BrokerRecord, PartitionOffsets, StoredRecord } from '../remote/broker.js';
import { formatLogUrl, type NatsLogUrl } from '../log-url.js';
import { LogError } from '../types.js';
import { describeTopic, readDescription, streamName, subjectOf, subjectPrefix } from './nats-names.js';
import { NatsReader } from './nats-reader.js';
import { fromMessage, toMessage } from './nats-records.js';

/** Publishes in flight at once for one append. */
const PARALLEL_PUBLISHES = 256;

/** Reads of at most this many messages are direct gets; longer ones stream through a consumer. */
const DIRECT_READ_MAX = 32;

interface Connected {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  reader: NatsReader;
}

function notFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

export class NatsBroker implements Broker {
  readonly description: string;
  private connection: Promise<Connected> | null = null;
  private closed = false;
  /**
   * Per stream, the end offset last seen: a reader behind it reads on without asking the server
   * for the stream's info first (a round trip a read, and work for the server). Forgotten when a
   * read finds fewer records than that promised (a purge, a stream deleted and made again).
   */
  private readonly knownEnd = new Map<string, number>();

  constructor(private readonly url: NatsLogUrl) {
    this.description = formatLogUrl(url);
  }

  private connected(): Promise<Connected> {
    if (this.closed) return Promise.reject(new LogError(`${this.description}: the connection is closed`));
    this.connection ??= (async () => {
      try {
        const nc = await connect({ servers: this.url.servers, name: 'streamrec' });
        const jsm = await jetstreamManager(nc);
        const js = jetstream(nc);
        return { nc, js, jsm, reader: new NatsReader(js) };
      } catch (err) {
        this.connection = null;
        throw new LogError(`cannot reach NATS JetStream at ${this.url.servers.join(',')}: ${(err as Error).message}`, { cause: err });
      }
    })();
    return this.connection;
  }

  private stream(topic: string, partition: number): string {
    return streamName(this.url.prefix, topic, partition);
  }

  private async info(topic: string, partition: number): Promise<StreamInfo | null> {
    const { jsm } = await this.connected();
    try {
      return await jsm.streams.info(this.stream(topic, partition));
    } catch (err) {
      if (notFound(err)) return null;
      throw this.failed(`stream info of ${topic}[${partition}]`, err);
    }
  }

  private failed(what: string, err: unknown): LogError {
    if (err instanceof LogError) return err;
    return new LogError(`${this.description}: ${what} failed: ${(err as Error).message}`, { cause: err });
  }

  async ensureTopic(name: string, partitions: number): Promise<number> {
    const existing = await this.partitions(name);
    if (existing !== null) return existing;
    const { jsm } = await this.connected();
    // Partition 0 last: its stream is what says the topic exists (and how many partitions it has).
    const order = [...Array.from({ length: partitions - 1 }, (_, i) => i + 1), 0];
    for (const p of order) {
      try {
        await jsm.streams.add({
          name: this.stream(name, p),
          subjects: [subjectOf(this.url.prefix, name, p)],
          description: describeTopic(name, partitions),
          allow_direct: true,
        });
      } catch (err) {
        // Another process created it at the same moment: theirs stands.
        if (!/already in use|already exists/i.test((err as Error).message)) throw this.failed(`creating topic ${name}`, err);
      }
    }
    return (await this.partitions(name)) ?? partitions;
  }

  async partitions(name: string): Promise<number | null> {
    const info = await this.info(name, 0);
    return info ? (readDescription(info.config.description)?.partitions ?? 1) : null;
  }

  async listTopics(): Promise<string[]> {
    const { jsm } = await this.connected();
    const names = new Set<string>();
    for await (const info of jsm.streams.list(`${subjectPrefix(this.url.prefix)}.>`)) {
      const d = readDescription(info.config.description);
      if (d && info.config.name === this.stream(d.topic, 0)) names.add(d.topic);
    }
    return [...names];
  }

  async deleteTopic(name: string): Promise<void> {
    const count = await this.partitions(name);
    if (count === null) return;
    const { jsm } = await this.connected();
    // Partition 0 first: the topic stops existing before its other partitions go.
    for (let p = 0; p < count; p++) {
      try {
        (await this.connected()).reader.forget(this.stream(name, p));
        this.knownEnd.delete(this.stream(name, p));
        await jsm.streams.delete(this.stream(name, p));
      } catch (err) {
        if (!notFound(err)) throw this.failed(`deleting topic ${name}`, err);
      }
    }
  }

  async append(topic: string, partition: number, records: BrokerRecord[]): Promise<number> {
    if (records.length === 0) return (await this.offsets(topic, partition)).end;
    const { js } = await this.connected();
    const subject = subjectOf(this.url.prefix, topic, partition);
    let first = -1;
    try {
      for (let i = 0; i < records.length; i += PARALLEL_PUBLISHES) {
        // Sent in order on one connection, so stored in order; acks awaited together.
        const acks = await Promise.all(
          records.slice(i, i + PARALLEL_PUBLISHES).map((r) => {
            const m = toMessage(r);
            return js.publish(subject, m.payload, { headers: m.headers, expect: { streamName: this.stream(topic, partition) } });
          }),
        );
        if (first < 0) first = acks[0]!.seq - 1;
      }
    } catch (err) {
      throw this.failed(`append to ${topic}[${partition}]`, err);
    }
    return first;
  }

  async read(topic: string, partition: number, offset: number, max: number, waitMs: number): Promise<StoredRecord[]> {
    const now = await this.readNow(topic, partition, offset, max);
    if (now.length > 0 || waitMs <= 0) return now;
    const { nc } = await this.connected();
    // Subscribed before looking again, so a publish in between is not missed.
    const sub = nc.subscribe(subjectOf(this.url.prefix, topic, partition), { max: 1 });
    try {
      const again = await this.readNow(topic, partition, offset, max);
      if (again.length > 0) return again;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        (async () => {
          for await (const _ of sub) break;
        })(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
      return await this.readNow(topic, partition, offset, max);
    } finally {
      sub.unsubscribe();
    }
  }

  private async readNow(topic: string, partition: number, offset: number, max: number): Promise<StoredRecord[]> {
    const stream = this.stream(topic, partition);
    let from = offset;
    const known = this.knownEnd.get(stream);
    let end: number;
    if (known !== undefined && offset < known) {
      end = known;
    } else {
      const offsets = await this.offsets(topic, partition);
      this.knownEnd.set(stream, offsets.end);
      from = Math.max(offset, offsets.start);
      end = offsets.end;
    }
    const count = Math.min(max, end - from);
    if (count <= 0) return [];
    const { jsm, reader } = await this.connected();
    let out: StoredRecord[] = [];
    try {
      if (count > DIRECT_READ_MAX) {
        out = await reader.read(stream, from + 1, count);
      } else {
        const seqs = Array.from({ length: count }, (_, j) => from + j + 1);
        const messages = await Promise.all(seqs.map((seq) => jsm.direct.getMessage(stream, { seq })));
        // A message purged while reading is simply not there (the reader goes on past it).
        for (const m of messages) if (m) out.push(fromMessage({ seq: m.seq, data: m.data, header: m.header, storedAt: m.time.getTime() }));
      }
    } catch (err) {
      this.knownEnd.delete(stream);
      throw this.failed(`read of ${topic}[${partition}]`, err);
    }
    if (out.length < count) this.knownEnd.delete(stream);
    return out;
  }

  async offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    const info = await this.info(topic, partition);
    if (!info) throw new LogError(`unknown topic partition: ${topic}[${partition}]`);
    const { first_seq, last_seq, bytes, messages } = info.state;
    // An empty stream says first = last + 1 (after a purge) or 0 (never written).
    const end = last_seq;
    const start = messages === 0 ? end : Math.max(0, first_seq - 1);
    return { start, end, bytes };
  }

  async trimBefore(topic: string, partition: number, offset: number): Promise<void> {
    if (offset <= 0) return;
    const { jsm } = await this.connected();
    this.knownEnd.delete(this.stream(topic, partition));
    try {
      await jsm.streams.purge(this.stream(topic, partition), { seq: offset + 1 });
    } catch (err) {
      throw this.failed(`trimming ${topic}[${partition}]`, err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    if (connection) await (await connection.catch(() => null))?.nc.close();
  }
}

export function createNatsBroker(url: NatsLogUrl): NatsBroker {
  return new NatsBroker(url);
}
