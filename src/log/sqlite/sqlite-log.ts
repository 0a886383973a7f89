import Database from 'better-sqlite3';
import { mkdirSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { partitionForKey } from '../partitioner.js';
import {
  LogError,
  type Consumer,
  type ConsumerOptions,
  type EventLog,
  type GroupLag,
  type LogValue,
  type Producer,
  type ProducerOptions,
  type ProducerRecord,
  type RecordMetadata,
  type RetentionPolicy,
  type SendOptions,
  type SendResult,
  type TopicConfig,
  type TopicInfo,
  type TopicPartitionOffset,
  type Transaction,
} from '../types.js';
import { migrate, partitionTable, partitionTableDdl } from './schema.js';
import { SqliteConsumer } from './sqlite-consumer.js';
import { validateTopicName } from '../topic-name.js';

export interface SqliteLogOptions {
  /** The SQLite file, e.g. `<data-dir>/log/log.db`. */
  path: string;
  /**
   * `normal` (default) survives a process crash (kill -9) with every acknowledged append;
   * `full` also survives power loss, at a cost in append rate.
   */
  durability?: 'normal' | 'full';
  /** Partitions for topics created implicitly by a send. */
  defaultPartitions?: number;
  /** How often appends also apply retention. */
  retentionCheckMs?: number;
}

interface TopicMeta {
  id: number;
  name: string;
  partitions: number;
  retention: RetentionPolicy;
}

/** A row as read with `.raw()`: [offset, ts, key, value, headers]. */
export type RawRow = [number, number, string | null, LogValue, string | null];

interface PartitionStatements {
  insert: Database.Statement;
  /** Inserts ROWS_PER_INSERT rows at once: fewer JS→SQLite calls per record. */
  insertMany: Database.Statement;
  read: Database.Statement;
}

const ROWS_PER_INSERT = 64;
const COLUMNS = 5;

/**
 * The embedded event log: everything in one SQLite file in WAL mode. Appends take SQLite's write
 * lock (so processes sharing a data dir serialise their appends and offsets stay dense); readers
 * never block writers. A commit is on disk in the WAL before `send` resolves, so kill -9 loses
 * nothing acknowledged, and SQLite's journal rolls back a torn transaction on the next open.
 */
export class SqliteLog implements EventLog {
  readonly description: string;
  readonly db: Database.Database;
  private readonly topicCache = new Map<string, TopicMeta>();
  private readonly partitionStatements = new Map<string, PartitionStatements>();
  private readonly roundRobin = new Map<string, number>();
  private readonly defaultPartitions: number;
  private readonly retentionCheckMs: number;
  private lastRetention = 0;
  private closed = false;
  /** Bumped on every local commit; `data_version` only moves for other connections' commits. */
  localWrites = 0;

  private readonly stmt: {
    topicByName: Database.Statement;
    insertTopic: Database.Statement;
    insertPartition: Database.Statement;
    partitionOffsets: Database.Statement;
    nextOffset: Database.Statement;
    bumpPartition: Database.Statement;
    insertBatch: Database.Statement;
    upsertGroupOffset: Database.Statement;
    groupOffsets: Database.Statement;
    allGroupOffsets: Database.Statement;
    deleteGroup: Database.Statement;
    producerSeq: Database.Statement;
    upsertProducerSeq: Database.Statement;
    getState: Database.Statement;
    putState: Database.Statement;
    deleteState: Database.Statement;
    dataVersion: Database.Statement;
  };

  constructor(options: SqliteLogOptions) {
    this.description = `embedded:${options.path}`;
    this.defaultPartitions = options.defaultPartitions ?? 1;
    this.retentionCheckMs = options.retentionCheckMs ?? 1000;
    this.db = openDatabase(options.path, options.durability ?? 'normal');
    const db = this.db;
    this.stmt = {
      topicByName: db.prepare('SELECT id, name, partitions, retention_ms, retention_bytes FROM topics WHERE name = ?'),
      // Prepared once: db.pragma() would compile the statement on every poll.
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      insertTopic: db.prepare(
        'INSERT INTO topics (name, partitions, retention_ms, retention_bytes, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      insertPartition: db.prepare('INSERT INTO partitions (topic_id, partition) VALUES (?, ?)'),
      partitionOffsets: db.prepare(
        'SELECT partition, start_offset, next_offset, bytes FROM partitions WHERE topic_id = ? ORDER BY partition',
      ),
      nextOffset: db.prepare('SELECT next_offset FROM partitions WHERE topic_id = ? AND partition = ?'),
      bumpPartition: db.prepare(
        'UPDATE partitions SET next_offset = next_offset + ?, bytes = bytes + ? WHERE topic_id = ? AND partition = ?',
      ),
      insertBatch: db.prepare(
        'INSERT INTO batches (topic_id, partition, first_offset, append_ts, bytes) VALUES (?, ?, ?, ?, ?)',
      ),
      upsertGroupOffset: db.prepare(
        `INSERT INTO group_offsets (group_id, topic, partition, next_offset, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
      ),
      groupOffsets: db.prepare('SELECT partition, next_offset FROM group_offsets WHERE group_id = ? AND topic = ?'),
      allGroupOffsets: db.prepare('SELECT group_id, topic, partition, next_offset FROM group_offsets ORDER BY group_id, topic, partition'),
      deleteGroup: db.prepare('DELETE FROM group_offsets WHERE group_id = ?'),
      producerSeq: db.prepare('SELECT last_sequence FROM producers WHERE producer_id = ? AND topic_id = ? AND partition = ?'),
      upsertProducerSeq: db.prepare(
        `INSERT INTO producers (producer_id, topic_id, partition, last_sequence) VALUES (?, ?, ?, ?)
         ON CONFLICT (producer_id, topic_id, partition) DO UPDATE SET last_sequence = excluded.last_sequence`,
      ),
      getState: db.prepare('SELECT value FROM state WHERE namespace = ? AND key = ?'),
      putState: db.prepare(
        `INSERT INTO state (namespace, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      deleteState: db.prepare('DELETE FROM state WHERE namespace = ? AND key = ?'),
    };
  }

  // ---------------------------------------------------------------- topics

  async createTopic(name: string, config: TopicConfig): Promise<void> {
    validateTopicName(name);
    this.assertOpen();
    this.db.transaction(() => {
      if (this.stmt.topicByName.get(name)) throw new LogError(`topic ${name} already exists`);
      this.insertTopic(name, config);
    }).immediate();
  }

  async ensureTopic(name: string, config: TopicConfig): Promise<number> {
    return this.ensureTopicSync(name, config).partitions;
  }

  async deleteTopic(name: string): Promise<void> {
    this.assertOpen();
    this.db.transaction(() => {
      const meta = this.readTopic(name);
      if (!meta) throw new LogError(`unknown topic: ${name}`);
      for (let p = 0; p < meta.partitions; p++) this.db.exec(`DROP TABLE IF EXISTS ${partitionTable(meta.id, p)}`);
      for (const table of ['partitions', 'batches', 'producers']) {
        this.db.prepare(`DELETE FROM ${table} WHERE topic_id = ?`).run(meta.id);
      }
      this.db.prepare('DELETE FROM group_offsets WHERE topic = ?').run(name);
      this.db.prepare('DELETE FROM topics WHERE id = ?').run(meta.id);
    }).immediate();
    this.topicCache.delete(name);
    for (const key of [...this.partitionStatements.keys()]) {
      if (key.startsWith(`${name}\u0000`)) this.partitionStatements.delete(key);
    }
    this.localWrites++;
  }

  async topics(): Promise<TopicInfo[]> {
    this.assertOpen();
    const names = this.db.prepare('SELECT name FROM topics ORDER BY name').pluck().all() as string[];
    return names.map((n) => this.topicInfoSync(n)!).filter(Boolean);
  }

  async topic(name: string): Promise<TopicInfo | null> {
    this.assertOpen();
    return this.topicInfoSync(name);
  }

  topicInfoSync(name: string): TopicInfo | null {
    const meta = this.readTopic(name);
    if (!meta) return null;
    const rows = this.stmt.partitionOffsets.raw(true).all(meta.id) as [number, number, number, number][];
    return {
      name,
      retention: meta.retention,
      partitions: rows.map(([partition, startOffset, endOffset, bytes]) => ({ partition, startOffset, endOffset, bytes })),
    };
  }

  /** Topic metadata, cached: a topic's partition count never changes while it exists. */
  topicMeta(name: string): TopicMeta | null {
    return this.topicCache.get(name) ?? this.readTopic(name);
  }

  private readTopic(name: string): TopicMeta | null {
    const row = this.stmt.topicByName.get(name) as
      | { id: number; name: string; partitions: number; retention_ms: number | null; retention_bytes: number | null }
      | undefined;
    if (!row) {
      this.topicCache.delete(name);
      return null;
    }
    const meta: TopicMeta = {
      id: row.id,
      name: row.name,
      partitions: row.partitions,
      retention: { maxAgeMs: row.retention_ms, maxBytes: row.retention_bytes },
    };
    this.topicCache.set(name, meta);
    return meta;
  }

  private ensureTopicSync(name: string, config: TopicConfig): TopicMeta {
    this.assertOpen();
    const cached = this.topicMeta(name);
    if (cached) return cached;
    validateTopicName(name);
    return this.db.transaction(() => this.readTopic(name) ?? this.insertTopic(name, config)).immediate();
  }

  private insertTopic(name: string, config: TopicConfig): TopicMeta {
    if (!Number.isInteger(config.partitions) || config.partitions < 1 || config.partitions > 1024) {
      throw new LogError(`topic ${name}: partitions must be an integer from 1 to 1024, got ${config.partitions}`);
    }
    const maxAgeMs = config.retention?.maxAgeMs ?? null;
    const maxBytes = config.retention?.maxBytes ?? null;
    const info = this.stmt.insertTopic.run(name, config.partitions, maxAgeMs, maxBytes, Date.now());
    const id = Number(info.lastInsertRowid);
    for (let p = 0; p < config.partitions; p++) {
      this.db.exec(partitionTableDdl(id, p));
      this.stmt.insertPartition.run(id, p);
    }
    const meta: TopicMeta = { id, name, partitions: config.partitions, retention: { maxAgeMs, maxBytes } };
    this.topicCache.set(name, meta);
    return meta;
  }

  // ---------------------------------------------------------------- appends

  producer(options: ProducerOptions = {}): Producer {
    return {
      send: async (topic, records, sendOptions) => this.send(topic, records, options, sendOptions),
      close: async () => {},
    };
  }

  private send(
    topic: string,
    records: ProducerRecord[],
    producer: ProducerOptions,
    options: SendOptions = {},
  ): SendResult[] {
    const meta = this.ensureTopicSync(topic, { partitions: this.defaultPartitions });
    if (options.sequences && options.sequences.length !== records.length) {
      throw new LogError(`send to ${topic}: ${records.length} records but ${options.sequences.length} sequences`);
    }
    if (options.sequences && !producer.producerId) {
      throw new LogError(`send to ${topic}: sequences need an idempotent producer (producerId)`);
    }
    const results = this.db
      .transaction(() => this.appendInTransaction(meta, records, producer.producerId, options.sequences))
      .immediate();
    this.localWrites++;
    this.maybeEnforceRetention();
    return results;
  }

  /** Appends inside an open write transaction; returns one result per record, in input order. */
  appendInTransaction(
    meta: TopicMeta,
    records: ProducerRecord[],
    producerId?: string,
    sequences?: number[],
  ): SendResult[] {
    const now = Date.now();
    const partitionOf = this.assignPartitions(meta, records);
    const results: SendResult[] = new Array(records.length);
    // Group record indexes by partition, keeping input order within each.
    const byPartition = new Map<number, number[]>();
    for (let i = 0; i < records.length; i++) {
      const p = partitionOf[i]!;
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(i);
    }
    for (const [partition, indexes] of byPartition) {
      let accepted = indexes;
      if (producerId && sequences) {
        const last = (this.stmt.producerSeq.pluck().get(producerId, meta.id, partition) as number | undefined) ?? -Infinity;
        let highest = last;
        accepted = [];
        for (const i of indexes) {
          const seq = sequences[i]!;
          if (seq <= highest) {
            results[i] = { topic: meta.name, partition, offset: -1, duplicate: true };
          } else {
            accepted.push(i);
            highest = seq;
          }
        }
        if (highest !== last) this.stmt.upsertProducerSeq.run(producerId, meta.id, partition, highest);
      }
      if (accepted.length === 0) continue;
      const { insert, insertMany } = this.statementsFor(meta, partition);
      const first = this.stmt.nextOffset.pluck().get(meta.id, partition) as number;
      let bytes = 0;
      const args: unknown[] = new Array(ROWS_PER_INSERT * COLUMNS);
      for (let a = 0; a < accepted.length; a++) {
        const i = accepted[a]!;
        const r = records[i]!;
        const value = r.value;
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
          throw new LogError(`send to ${meta.name}: record ${i} has no string or bytes value`);
        }
        bytes += (typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength) + (r.key ? r.key.length : 0);
        const offset = first + a;
        const o = (a % ROWS_PER_INSERT) * COLUMNS;
        args[o] = offset;
        args[o + 1] = r.timestamp ?? now;
        args[o + 2] = r.key ?? null;
        args[o + 3] = value;
        args[o + 4] = r.headers ? JSON.stringify(r.headers) : null;
        if (o + COLUMNS === args.length) insertMany.run(args);
        results[i] = { topic: meta.name, partition, offset, duplicate: false };
      }
      // The tail that did not fill a multi-row insert goes row by row.
      const tail = accepted.length % ROWS_PER_INSERT;
      for (let t = 0; t < tail; t++) insert.run(args.slice(t * COLUMNS, (t + 1) * COLUMNS));
      this.stmt.bumpPartition.run(accepted.length, bytes, meta.id, partition);
      this.stmt.insertBatch.run(meta.id, partition, first, now, bytes);
    }
    return results;
  }

  private assignPartitions(meta: TopicMeta, records: ProducerRecord[]): number[] {
    const n = meta.partitions;
    // Keyless records stick to one partition per call (Kafka's sticky partitioner), rotating.
    const sticky = (this.roundRobin.get(meta.name) ?? 0) % n;
    this.roundRobin.set(meta.name, sticky + 1);
    const out = new Array<number>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.partition !== undefined) {
        if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= n) {
          throw new LogError(`send to ${meta.name}: partition ${r.partition} out of range 0..${n - 1}`);
        }
        out[i] = r.partition;
      } else {
        out[i] = r.key == null ? sticky : n === 1 ? 0 : partitionForKey(r.key, n);
      }
    }
    return out;
  }

  statementsFor(meta: TopicMeta, partition: number): PartitionStatements {
    const cacheKey = `${meta.name}\u0000${meta.id}\u0000${partition}`;
    let s = this.partitionStatements.get(cacheKey);
    if (!s) {
      const table = partitionTable(meta.id, partition);
      s = {
        insert: this.db.prepare(`INSERT INTO ${table} (offset, ts, key, value, headers) VALUES (?, ?, ?, ?, ?)`),
        insertMany: this.db.prepare(
          `INSERT INTO ${table} (offset, ts, key, value, headers) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?)').join(', ')}`,
        ),
        read: this.db.prepare(`SELECT offset, ts, key, value, headers FROM ${table} WHERE offset >= ? ORDER BY offset LIMIT ?`).raw(true),
      };
      this.partitionStatements.set(cacheKey, s);
    }
    return s;
  }

  /** Rows from `offset` on, at most `limit`, as [offset, ts, key, value, headers]. */
  readRaw(meta: TopicMeta, partition: number, offset: number, limit: number): RawRow[] {
    return this.statementsFor(meta, partition).read.all(offset, limit) as RawRow[];
  }

  /** [startOffset, endOffset] of each partition. */
  offsets(meta: TopicMeta): [number, number][] {
    const rows = this.stmt.partitionOffsets.raw(true).all(meta.id) as [number, number, number, number][];
    return rows.map(([, start, end]) => [start, end]);
  }

  /** Changes whenever any connection (this one included) commits. */
  changeToken(): string {
    return `${this.stmt.dataVersion.get() as number}:${this.localWrites}`;
  }

  // ---------------------------------------------------------------- consumers and groups

  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    return new SqliteConsumer(this, options);
  }

  committedSync(group: string, topic: string): Map<number, number> {
    const rows = this.stmt.groupOffsets.raw(true).all(group, topic) as [number, number][];
    return new Map(rows);
  }

  async committed(group: string, topic: string): Promise<TopicPartitionOffset[]> {
    return [...this.committedSync(group, topic)].map(([partition, offset]) => ({ topic, partition, offset }));
  }

  commitSync(group: string, offsets: TopicPartitionOffset[]): void {
    this.db.transaction(() => this.commitInTransaction(group, offsets)).immediate();
    this.localWrites++;
  }

  private commitInTransaction(group: string, offsets: TopicPartitionOffset[]): void {
    const now = Date.now();
    for (const o of offsets) this.stmt.upsertGroupOffset.run(group, o.topic, o.partition, o.offset, now);
  }

  async groups(): Promise<GroupLag[]> {
    this.assertOpen();
    const rows = this.stmt.allGroupOffsets.raw(true).all() as [string, string, number, number][];
    const out: GroupLag[] = [];
    for (const [group, topic, partition, committed] of rows) {
      const meta = this.topicMeta(topic);
      if (!meta) continue;
      const endOffset = this.offsets(meta)[partition]?.[1] ?? 0;
      out.push({ group, topic, partition, committed, endOffset, lag: Math.max(0, endOffset - committed) });
    }
    return out;
  }

  async deleteGroup(group: string): Promise<void> {
    this.assertOpen();
    this.stmt.deleteGroup.run(group);
    this.localWrites++;
  }

  // ---------------------------------------------------------------- transactions and state

  transaction(): Transaction {
    this.assertOpen();
    type Op =
      | { kind: 'send'; topic: string; records: ProducerRecord[] }
      | { kind: 'commit'; group: string; offsets: TopicPartitionOffset[] }
      | { kind: 'state'; namespace: string; key: string; value: LogValue | null };
    let ops: Op[] | null = [];
    const pending = (): Op[] => {
      if (!ops) throw new LogError('transaction already committed or aborted');
      return ops;
    };
    return {
      send: (topic, records) => void pending().push({ kind: 'send', topic, records }),
      commitOffsets: (group, offsets) => void pending().push({ kind: 'commit', group, offsets }),
      putState: (namespace, key, value) => void pending().push({ kind: 'state', namespace, key, value }),
      abort: () => {
        ops = null;
      },
      commit: async () => {
        const list = pending();
        ops = null;
        // Topics are created before the write transaction: DDL inside it would be fine in SQLite,
        // but creating them first keeps the transaction short.
        for (const op of list) if (op.kind === 'send') this.ensureTopicSync(op.topic, { partitions: this.defaultPartitions });
        const written = this.db
          .transaction(() => {
            const out: RecordMetadata[] = [];
            const now = Date.now();
            for (const op of list) {
              if (op.kind === 'send') {
                for (const r of this.appendInTransaction(this.topicMeta(op.topic)!, op.records)) {
                  out.push({ topic: r.topic, partition: r.partition, offset: r.offset });
                }
              } else if (op.kind === 'commit') {
                this.commitInTransaction(op.group, op.offsets);
              } else if (op.value === null) {
                this.stmt.deleteState.run(op.namespace, op.key);
              } else {
                this.stmt.putState.run(op.namespace, op.key, op.value, now);
              }
            }
            return out;
          })
          .immediate();
        this.localWrites++;
        return written;
      },
    };
  }

  async getState(namespace: string, key: string): Promise<LogValue | null> {
    this.assertOpen();
    return (this.stmt.getState.pluck().get(namespace, key) as LogValue | undefined) ?? null;
  }

  // ---------------------------------------------------------------- retention

  private maybeEnforceRetention(): void {
    const now = Date.now();
    if (now - this.lastRetention < this.retentionCheckMs) return;
    this.lastRetention = now;
    this.enforceRetentionSync(now);
  }

  async enforceRetention(): Promise<number> {
    this.assertOpen();
    return this.enforceRetentionSync(Date.now());
  }

  /**
   * Deletes whole append batches from the head of each partition: those older than the age limit,
   * then the oldest until the partition fits the size limit (Kafka deletes whole segments alike).
   */
  private enforceRetentionSync(now: number): number {
    const withRetention = this.db
      .prepare('SELECT name FROM topics WHERE retention_ms IS NOT NULL OR retention_bytes IS NOT NULL')
      .pluck()
      .all() as string[];
    let deleted = 0;
    for (const name of withRetention) {
      const meta = this.readTopic(name);
      if (!meta) continue;
      deleted += this.db
        .transaction(() => {
          let n = 0;
          for (let p = 0; p < meta.partitions; p++) n += this.trimPartition(meta, p, now);
          return n;
        })
        .immediate();
    }
    if (deleted > 0) this.localWrites++;
    return deleted;
  }

  private trimPartition(meta: TopicMeta, partition: number, now: number): number {
    const batches = this.db
      .prepare('SELECT first_offset, append_ts, bytes FROM batches WHERE topic_id = ? AND partition = ? ORDER BY first_offset')
      .raw(true)
      .all(meta.id, partition) as [number, number, number][];
    const [start, end] = this.offsets(meta)[partition]!;
    let total = batches.reduce((sum, b) => sum + b[2], 0);
    let drop = 0; // number of head batches to delete
    while (drop < batches.length) {
      const [, appendTs, bytes] = batches[drop]!;
      const tooOld = meta.retention.maxAgeMs !== null && now - appendTs > meta.retention.maxAgeMs;
      const tooBig = meta.retention.maxBytes !== null && total > meta.retention.maxBytes;
      if (!tooOld && !tooBig) break;
      total -= bytes;
      drop++;
    }
    if (drop === 0) return 0;
    const newStart = drop < batches.length ? batches[drop]![0] : end;
    const table = partitionTable(meta.id, partition);
    const info = this.db.prepare(`DELETE FROM ${table} WHERE offset < ?`).run(newStart);
    this.db
      .prepare('DELETE FROM batches WHERE topic_id = ? AND partition = ? AND first_offset < ?')
      .run(meta.id, partition, newStart);
    this.db
      .prepare('UPDATE partitions SET start_offset = ?, bytes = ? WHERE topic_id = ? AND partition = ?')
      .run(Math.max(start, newStart), total, meta.id, partition);
    return info.changes;
  }

  // ---------------------------------------------------------------- lifecycle

  private assertOpen(): void {
    if (this.closed) throw new LogError('the event log is closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

function openDatabase(path: string, durability: 'normal' | 'full'): Database.Database {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new LogError(`cannot use data directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Several processes may share the file: wait for the write lock instead of failing.
    db.pragma('busy_timeout = 15000');
    db.pragma('cache_size = -16384');
    migrate(db, path);
  } catch (err) {
    if (err instanceof LogError) throw err;
    throw new LogError(`cannot open event log ${path}: ${(err as Error).message}`);
  }
  return db;
}
