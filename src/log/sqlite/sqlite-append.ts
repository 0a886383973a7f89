import type Database from 'better-sqlite3';
import { indexesByPartition, PartitionChooser } from '../partition-choice.js';
import { LogError, type ProducerOptions, type ProducerRecord, type SendOptions, type SendResult } from '../types.js';
import { COLUMNS, ROWS_PER_INSERT, type PartitionStatementCache } from './partition-statements.js';
import type { ChangeToken } from './sqlite-changes.js';
import type { TopicMeta } from './sqlite-topics.js';

/**
 * Appends: partition choice, offsets assigned under the write lock, idempotent producers'
 * sequences (the `producers` table), and the `batches` time index retention reads.
 */
export class SqliteAppender {
  private readonly chooser = new PartitionChooser();
  private readonly stmt: {
    nextOffset: Database.Statement;
    bumpPartition: Database.Statement;
    insertBatch: Database.Statement;
    producerSeq: Database.Statement;
    upsertProducerSeq: Database.Statement;
  };

  constructor(
    private readonly db: Database.Database,
    private readonly statements: PartitionStatementCache,
    private readonly changes: ChangeToken,
  ) {
    this.stmt = {
      nextOffset: db.prepare('SELECT next_offset FROM partitions WHERE topic_id = ? AND partition = ?'),
      bumpPartition: db.prepare(
        'UPDATE partitions SET next_offset = next_offset + ?, bytes = bytes + ? WHERE topic_id = ? AND partition = ?',
      ),
      insertBatch: db.prepare(
        'INSERT INTO batches (topic_id, partition, first_offset, append_ts, bytes) VALUES (?, ?, ?, ?, ?)',
      ),
      producerSeq: db.prepare('SELECT last_sequence FROM producers WHERE producer_id = ? AND topic_id = ? AND partition = ?'),
      upsertProducerSeq: db.prepare(
        `INSERT INTO producers (producer_id, topic_id, partition, last_sequence) VALUES (?, ?, ?, ?)
         ON CONFLICT (producer_id, topic_id, partition) DO UPDATE SET last_sequence = excluded.last_sequence`,
      ),
    };
  }

  /** A producer's send: one write transaction. */
  send(meta: TopicMeta, records: ProducerRecord[], producer: ProducerOptions, options: SendOptions = {}): SendResult[] {
    if (options.sequences && options.sequences.length !== records.length) {
      throw new LogError(`send to ${meta.name}: ${records.length} records but ${options.sequences.length} sequences`);
    }
    if (options.sequences && !producer.producerId) {
      throw new LogError(`send to ${meta.name}: sequences need an idempotent producer (producerId)`);
    }
    const results = this.db
      .transaction(() => this.appendInTransaction(meta, records, producer.producerId, options.sequences))
      .immediate();
    this.changes.bump();
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
    const partitionOf = this.chooser.choose(meta.name, meta.partitions, records);
    const results: SendResult[] = new Array(records.length);
    for (const [partition, indexes] of indexesByPartition(partitionOf)) {
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
      const { insert, insertMany } = this.statements.get(meta, partition);
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
}
