import type Database from 'better-sqlite3';
import {
  LogError,
  type Consumer,
  type ConsumerOptions,
  type EventLog,
  type GroupLag,
  type LogValue,
  type Producer,
  type ProducerOptions,
  type TopicConfig,
  type TopicInfo,
  type TopicPartitionOffset,
  type Transaction,
} from '../types.js';
import { PartitionStatementCache } from './partition-statements.js';
import { SqliteAppender } from './sqlite-append.js';
import { ChangeToken } from './sqlite-changes.js';
import { SqliteConsumer } from './sqlite-consumer.js';
import { SqliteGroups } from './sqlite-groups.js';
import { writing } from './sqlite-errors.js';
import { openDatabase, type Durability } from './sqlite-open.js';
import { SqlitePartitionReader } from './sqlite-reader.js';
import { SqliteRetention } from './sqlite-retention.js';
import { SqliteState } from './sqlite-state.js';
import { SqliteTopics, type TopicMeta } from './sqlite-topics.js';
import { sqliteTransaction } from './sqlite-transaction.js';

export interface SqliteLogOptions {
  /** The SQLite file, e.g. `<data-dir>/log/log.db`. */
  path: string;
  /**
   * `normal` (default) survives a process crash (kill -9) with every acknowledged append;
   * `full` also survives power loss, at a cost in append rate.
   */
  durability?: Durability;
  /** Partitions for topics created implicitly by a send. */
  defaultPartitions?: number;
  /** How often appends also apply retention. */
  retentionCheckMs?: number;
}

/**
 * The embedded event log: everything in one SQLite file in WAL mode. Appends take SQLite's write
 * lock (so processes sharing a data dir serialise their appends and offsets stay dense); readers
 * never block writers. A commit is on disk in the WAL before `send` resolves, so kill -9 loses
 * nothing acknowledged, and SQLite's journal rolls back a torn transaction on the next open.
 *
 * A write the disk refuses (full, read-only) rolls back whole and throws a `LogDiskError` (503,
 * Retry-After): nothing of it is stored, and the same write succeeds once space returns. No
 * in-memory state moves before a commit succeeds (offsets are read under the write lock, topic
 * metadata is cached only once committed).
 *
 * This class only composes the parts (one file a concern) and checks the log is open; consumers
 * read through the narrow `PartitionReader`.
 */
export class SqliteLog implements EventLog {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly defaultPartitions: number;
  private readonly changes: ChangeToken;
  private readonly topicStore: SqliteTopics;
  private readonly statements: PartitionStatementCache;
  private readonly appender: SqliteAppender;
  private readonly groupStore: SqliteGroups;
  private readonly state: SqliteState;
  private readonly retention: SqliteRetention;
  private readonly reader: SqlitePartitionReader;
  private readonly path: string;
  private closed = false;

  constructor(options: SqliteLogOptions) {
    this.description = `embedded:${options.path}`;
    this.path = options.path;
    this.defaultPartitions = options.defaultPartitions ?? 1;
    const db = (this.db = openDatabase(options.path, options.durability ?? 'normal'));
    this.changes = new ChangeToken(db);
    this.topicStore = new SqliteTopics(db);
    this.statements = new PartitionStatementCache(db);
    this.appender = new SqliteAppender(db, this.statements, this.changes);
    this.groupStore = new SqliteGroups(db, this.topicStore, this.changes);
    this.state = new SqliteState(db);
    this.retention = new SqliteRetention(db, this.topicStore, this.changes, options.retentionCheckMs ?? 1000);
    this.reader = new SqlitePartitionReader(this.topicStore, this.statements, this.groupStore, this.changes, options.path);
  }

  // ---------------------------------------------------------------- topics

  async createTopic(name: string, config: TopicConfig): Promise<void> {
    this.assertOpen();
    writing(this.path, () => this.topicStore.create(name, config));
  }

  async ensureTopic(name: string, config: TopicConfig): Promise<number> {
    return this.ensureTopicSync(name, config).partitions;
  }

  async deleteTopic(name: string): Promise<void> {
    this.assertOpen();
    writing(this.path, () => this.topicStore.delete(name));
    this.statements.forgetTopic(name);
    this.changes.bump();
  }

  async deleteRecords(name: string): Promise<number> {
    this.assertOpen();
    const meta = this.topicStore.read(name);
    if (!meta) throw new LogError(`unknown topic: ${name}`);
    return writing(this.path, () => this.retention.deleteRecords(meta));
  }

  async topics(): Promise<TopicInfo[]> {
    this.assertOpen();
    return this.topicStore.names().map((n) => this.topicStore.info(n)!).filter(Boolean);
  }

  async topic(name: string): Promise<TopicInfo | null> {
    this.assertOpen();
    return this.topicStore.info(name);
  }

  private ensureTopicSync(name: string, config: TopicConfig = { partitions: this.defaultPartitions }): TopicMeta {
    this.assertOpen();
    return writing(this.path, () => this.topicStore.ensure(name, config));
  }

  // ---------------------------------------------------------------- appends

  producer(options: ProducerOptions = {}): Producer {
    return {
      send: async (topic, records, sendOptions) => {
        const meta = this.ensureTopicSync(topic);
        const results = writing(this.path, () => this.appender.send(meta, records, options, sendOptions));
        try {
          this.retention.maybeEnforce();
        } catch {
          // The append above is committed and must be acknowledged: a failed retention run (its
          // deletes need disk space too) must not turn it into an error a client would retry,
          // writing it twice. Retention runs again after the next append.
        }
        return results;
      },
      close: async () => {},
    };
  }

  // ---------------------------------------------------------------- consumers and groups

  consumer(options: ConsumerOptions): Consumer {
    this.assertOpen();
    return new SqliteConsumer(this.reader, options);
  }

  async committed(group: string, topic: string): Promise<TopicPartitionOffset[]> {
    return [...this.groupStore.committed(group, topic)].map(([partition, offset]) => ({ topic, partition, offset }));
  }

  async groups(): Promise<GroupLag[]> {
    this.assertOpen();
    return this.groupStore.lags();
  }

  async deleteGroup(group: string): Promise<void> {
    this.assertOpen();
    writing(this.path, () => this.groupStore.delete(group));
  }

  // ---------------------------------------------------------------- transactions and state

  transaction(): Transaction {
    this.assertOpen();
    return sqliteTransaction({
      path: this.path,
      db: this.db,
      ensureTopic: (name) => this.ensureTopicSync(name),
      appender: this.appender,
      groups: this.groupStore,
      state: this.state,
      changes: this.changes,
    });
  }

  async getState(namespace: string, key: string): Promise<LogValue | null> {
    this.assertOpen();
    return this.state.get(namespace, key);
  }

  // ---------------------------------------------------------------- retention

  async enforceRetention(): Promise<number> {
    this.assertOpen();
    return writing(this.path, () => this.retention.enforce(Date.now()));
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
