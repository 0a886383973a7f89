/**
 * The records of the coordination log (`__streamrec_tx`), as JSON text. Each one is a decision
 * input every process replays in the same order, so each reaches the same view. State values may
 * be bytes: they travel as base64 so the record stays JSON.
 */
import { LogError, type LogValue, type TopicPartitionOffset } from '../types.js';

/** The single-partition topic every coordination record goes to. */
export const COORDINATION_TOPIC = '__streamrec_tx';
/** Topics whose names start with this are the log's own and are not listed. */
export const INTERNAL_TOPIC_PREFIX = '__streamrec';

export type WireValue = string | { b64: string } | null;

export interface StateOp {
  ns: string;
  key: string;
  value: WireValue;
}

/** An idempotent producer's sequences for one partition, in the order its records were written. */
export interface SequenceOp {
  producerId: string;
  topic: string;
  partition: number;
  sequences: number[];
}

export interface GroupCommitOp {
  group: string;
  offsets: TopicPartitionOffset[];
}

/**
 * A transaction: committed iff every expectation holds where the record lands in the log.
 * `outputs` says records carrying this id's header were written to data partitions first (they
 * show to consumers only once this commits).
 */
export interface TxRecord {
  t: 'tx';
  id: string;
  expects: StateOp[];
  puts: StateOp[];
  commits: GroupCommitOp[];
  sequences: SequenceOp[];
  outputs: boolean;
}

export type CoordinationRecord =
  | TxRecord
  /** Aborts a transaction that is not decided yet (its writer is gone): the first of tx/abort wins. */
  | { t: 'abort'; id: string }
  /** A consumer's plain offset commit. */
  | ({ t: 'offsets' } & GroupCommitOp)
  | { t: 'delete-group'; group: string }
  /** A topic deleted: its group offsets and producer sequences go too. */
  | { t: 'delete-topic'; topic: string }
  /**
   * The whole view as of offset `at`, so the records before it can be trimmed. Valid only where it
   * lands right at `at` (its chunks back to back from there): then it equals every replayer's
   * view at that point. One that lands later (another record came first) is ignored.
   */
  | { t: 'snapshot'; id: string; at: number; view: ViewSnapshot }
  /** A part of a record too large for one message (servers cap messages near 1 MB). */
  | { t: 'chunk'; id: string; i: number; n: number; of: CoordinationRecord['t']; data: string };

/** The view as JSON (see view-snapshot.ts). */
export interface ViewSnapshot {
  state: [string, WireValue][];
  offsets: [string, string, number, number][];
  sequences: [string, number][];
  outcomes: [string, WireOutcome & { outputs: boolean }][];
  /** Transactions without outputs whose outcome is still kept, oldest first. */
  recent: string[];
  chunks: [string, { first: number; parts: (string | null)[] }][];
}

export type WireOutcome =
  | { state: 'committed'; offset: number; duplicates: string[] | null }
  | { state: 'fenced'; offset: number; namespace: string; key: string }
  | { state: 'aborted'; offset: number };

/** Chunks stay well under NATS's and Kafka's default 1 MB message limits, headers included. */
export const CHUNK_BYTES = 512 * 1024;

export function toWire(value: LogValue | null): WireValue {
  if (value === null || typeof value === 'string') return value;
  return { b64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
}

export function fromWire(value: WireValue): LogValue | null {
  if (value === null || typeof value === 'string') return value;
  return new Uint8Array(Buffer.from(value.b64, 'base64'));
}

/** The record as one or more message texts (chunks share an id; the whole applies at its last chunk). */
export function encodeRecord(record: CoordinationRecord, id: string): string[] {
  const text = JSON.stringify(record);
  if (Buffer.byteLength(text) <= CHUNK_BYTES) return [text];
  // Split by characters, sized so even 4-byte UTF-8 characters keep a chunk under the limit.
  const step = Math.floor(CHUNK_BYTES / 4);
  const n = Math.ceil(text.length / step);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(JSON.stringify({ t: 'chunk', id, i, n, of: record.t, data: text.slice(i * step, (i + 1) * step) }));
  return out;
}

export function decodeRecord(text: string, offset: number): CoordinationRecord {
  try {
    const record = JSON.parse(text) as CoordinationRecord;
    if (typeof record.t === 'string') return record;
  } catch {
    // named below
  }
  throw new LogError(`coordination log ${COORDINATION_TOPIC}: record at offset ${offset} is not a coordination record`);
}
