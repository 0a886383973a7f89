import type Database from 'better-sqlite3';
import { FencedError, LogError, type LogValue, type ProducerRecord, type RecordMetadata, type TopicPartitionOffset, type Transaction } from '../types.js';
import type { SqliteAppender } from './sqlite-append.js';
import { writing } from './sqlite-errors.js';
import type { ChangeToken } from './sqlite-changes.js';
import type { SqliteGroups } from './sqlite-groups.js';
import type { SqliteState } from './sqlite-state.js';
import type { TopicMeta } from './sqlite-topics.js';

/** The parts of the log a transaction writes through. */
export interface TransactionParts {
  /** The log's file, named by a disk-full or read-only error. */
  path: string;
  db: Database.Database;
  /** The topic's metadata, creating it with the default partitions if need be. */
  ensureTopic(name: string): TopicMeta;
  appender: SqliteAppender;
  groups: SqliteGroups;
  state: SqliteState;
  changes: ChangeToken;
}

type Op =
  | { kind: 'send'; topic: string; records: ProducerRecord[] }
  | { kind: 'commit'; group: string; offsets: TopicPartitionOffset[] }
  | { kind: 'state'; namespace: string; key: string; value: LogValue | null }
  | { kind: 'expect'; namespace: string; key: string; value: LogValue | null };

function sameValue(a: LogValue | null, b: LogValue | null): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return Buffer.from(typeof a === 'string' ? Buffer.from(a) : a).equals(Buffer.from(typeof b === 'string' ? Buffer.from(b) : b));
}

/**
 * Appends, group commits and state collected, then written in one SQLite write transaction on
 * commit: a checkpoint's output, input offsets and state land together or not at all.
 */
export function sqliteTransaction(parts: TransactionParts): Transaction {
  let ops: Op[] | null = [];
  const pending = (): Op[] => {
    if (!ops) throw new LogError('transaction already committed or aborted');
    return ops;
  };
  return {
    send: (topic, records) => void pending().push({ kind: 'send', topic, records }),
    commitOffsets: (group, offsets) => void pending().push({ kind: 'commit', group, offsets }),
    putState: (namespace, key, value) => void pending().push({ kind: 'state', namespace, key, value }),
    expectState: (namespace, key, value) => void pending().push({ kind: 'expect', namespace, key, value }),
    abort: () => {
      ops = null;
    },
    commit: async () => {
      const list = pending();
      ops = null;
      // Topics are created before the write transaction: DDL inside it would be fine in SQLite,
      // but creating them first keeps the transaction short.
      const metas = new Map<string, TopicMeta>();
      for (const op of list) if (op.kind === 'send') metas.set(op.topic, parts.ensureTopic(op.topic));
      // A disk that refuses the write rolls the whole transaction back (better-sqlite3 issues the
      // ROLLBACK): the caller keeps what it meant to write and commits it again later.
      const written = writing(parts.path, () => parts.db
        .transaction(() => {
          const out: RecordMetadata[] = [];
          const now = Date.now();
          // Conditions first, inside the write lock (BEGIN IMMEDIATE): no other writer can move
          // the state between this check and the commit.
          for (const op of list) {
            if (op.kind === 'expect' && !sameValue(parts.state.get(op.namespace, op.key), op.value)) throw new FencedError(op.namespace, op.key);
          }
          for (const op of list) {
            if (op.kind === 'send') {
              for (const r of parts.appender.appendInTransaction(metas.get(op.topic)!, op.records)) {
                out.push({ topic: r.topic, partition: r.partition, offset: r.offset });
              }
            } else if (op.kind === 'commit') {
              parts.groups.commitInTransaction(op.group, op.offsets);
            } else if (op.kind === 'state') {
              parts.state.putInTransaction(op.namespace, op.key, op.value, now);
            }
          }
          return out;
        })
        .immediate());
      parts.changes.bump();
      return written;
    },
  };
}
