import type Database from 'better-sqlite3';
import { LogError, type RetentionPolicy, type TopicConfig, type TopicInfo } from '../types.js';
import { validatePartitionCount, validateTopicName } from '../topic-name.js';
import { partitionTable, partitionTableDdl } from './schema.js';

export interface TopicMeta {
  id: number;
  name: string;
  partitions: number;
  retention: RetentionPolicy;
}

/** Topics and their partitions' offsets: the `topics` and `partitions` tables and one table a partition. */
export class SqliteTopics {
  private readonly cache = new Map<string, TopicMeta>();
  private readonly stmt: {
    topicByName: Database.Statement;
    insertTopic: Database.Statement;
    insertPartition: Database.Statement;
    partitionOffsets: Database.Statement;
  };

  constructor(private readonly db: Database.Database) {
    this.stmt = {
      topicByName: db.prepare('SELECT id, name, partitions, retention_ms, retention_bytes FROM topics WHERE name = ?'),
      insertTopic: db.prepare(
        'INSERT INTO topics (name, partitions, retention_ms, retention_bytes, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      insertPartition: db.prepare('INSERT INTO partitions (topic_id, partition) VALUES (?, ?)'),
      partitionOffsets: db.prepare(
        'SELECT partition, start_offset, next_offset, bytes FROM partitions WHERE topic_id = ? ORDER BY partition',
      ),
    };
  }

  /** Topic metadata, cached: a topic's partition count never changes while it exists. */
  meta(name: string): TopicMeta | null {
    return this.cache.get(name) ?? this.read(name);
  }

  /** Topic metadata as stored now (refreshes the cache). */
  read(name: string): TopicMeta | null {
    const meta = this.stored(name);
    if (meta) this.cache.set(name, meta);
    else this.cache.delete(name);
    return meta;
  }

  /** The row as stored, without touching the cache (inside a write transaction that may yet roll back). */
  private stored(name: string): TopicMeta | null {
    const row = this.stmt.topicByName.get(name) as
      | { id: number; name: string; partitions: number; retention_ms: number | null; retention_bytes: number | null }
      | undefined;
    if (!row) return null;
    return { id: row.id, name: row.name, partitions: row.partitions, retention: { maxAgeMs: row.retention_ms, maxBytes: row.retention_bytes } };
  }

  create(name: string, config: TopicConfig): void {
    validateTopicName(name);
    const meta = this.db.transaction(() => {
      if (this.stmt.topicByName.get(name)) throw new LogError(`topic ${name} already exists`);
      return this.insert(name, config);
    }).immediate();
    this.cache.set(name, meta);
  }

  ensure(name: string, config: TopicConfig): TopicMeta {
    const cached = this.meta(name);
    if (cached) return cached;
    validateTopicName(name);
    const meta = this.db.transaction(() => this.stored(name) ?? this.insert(name, config)).immediate();
    // Cached only once committed: a creation rolled back (a full disk) must leave no topic behind.
    this.cache.set(name, meta);
    return meta;
  }

  /** Drops the topic's tables and every row about it, group offsets included. */
  delete(name: string): void {
    this.db.transaction(() => {
      const meta = this.stored(name);
      if (!meta) throw new LogError(`unknown topic: ${name}`);
      for (let p = 0; p < meta.partitions; p++) this.db.exec(`DROP TABLE IF EXISTS ${partitionTable(meta.id, p)}`);
      for (const table of ['partitions', 'batches', 'producers']) {
        this.db.prepare(`DELETE FROM ${table} WHERE topic_id = ?`).run(meta.id);
      }
      this.db.prepare('DELETE FROM group_offsets WHERE topic = ?').run(name);
      this.db.prepare('DELETE FROM topics WHERE id = ?').run(meta.id);
    }).immediate();
    this.cache.delete(name);
  }

  names(): string[] {
    return this.db.prepare('SELECT name FROM topics ORDER BY name').pluck().all() as string[];
  }

  info(name: string): TopicInfo | null {
    const meta = this.read(name);
    if (!meta) return null;
    const rows = this.stmt.partitionOffsets.raw(true).all(meta.id) as [number, number, number, number][];
    return {
      name,
      retention: meta.retention,
      partitions: rows.map(([partition, startOffset, endOffset, bytes]) => ({ partition, startOffset, endOffset, bytes })),
    };
  }

  /** [startOffset, endOffset] of each partition. */
  offsets(meta: TopicMeta): [number, number][] {
    const rows = this.stmt.partitionOffsets.raw(true).all(meta.id) as [number, number, number, number][];
    return rows.map(([, start, end]) => [start, end]);
  }

  private insert(name: string, config: TopicConfig): TopicMeta {
    validatePartitionCount(name, config.partitions);
    const maxAgeMs = config.retention?.maxAgeMs ?? null;
    const maxBytes = config.retention?.maxBytes ?? null;
    const info = this.stmt.insertTopic.run(name, config.partitions, maxAgeMs, maxBytes, Date.now());
    const id = Number(info.lastInsertRowid);
    for (let p = 0; p < config.partitions; p++) {
      this.db.exec(partitionTableDdl(id, p));
      this.stmt.insertPartition.run(id, p);
    }
    return { id, name, partitions: config.partitions, retention: { maxAgeMs, maxBytes } };
  }
}
