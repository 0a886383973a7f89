/**
 * How records travel through a `Broker`: a producer's record becomes a `BrokerRecord`, a stored one
 * a `LogRecord`. Two headers of the log's own ride along and are hidden from readers: the
 * transaction that wrote a record (it shows only once that transaction commits) and an idempotent
 * producer's sequence number (a resend it dropped as a duplicate stays hidden).
 */
import type { BrokerRecord, StoredRecord } from './broker.js';
import { LogError, type LogRecord, type ProducerRecord } from '../types.js';

export const TX_HEADER = '__streamrec_tx';
export const SEQUENCE_HEADER = '__streamrec_seq';

/** Checked before anything of a send is written: a bad record must not leave half a send behind. */
export function checkValue(topic: string, index: number, r: ProducerRecord): void {
  if (typeof r.value !== 'string' && !(r.value instanceof Uint8Array)) {
    throw new LogError(`send to ${topic}: record ${index} has no string or bytes value`);
  }
}

export function toBrokerRecord(r: ProducerRecord, now: number, own: Record<string, string> | null): BrokerRecord {
  const headers = r.headers || own ? { ...r.headers, ...own } : null;
  return { key: r.key ?? null, value: r.value, timestamp: r.timestamp ?? now, headers };
}

/** The log's own headers of a stored record (null when it has none). */
export function ownHeaders(r: StoredRecord): { tx: string | null; sequence: number | null } | null {
  const h = r.headers;
  if (!h || (h[TX_HEADER] === undefined && h[SEQUENCE_HEADER] === undefined)) return null;
  return { tx: h[TX_HEADER] ?? null, sequence: h[SEQUENCE_HEADER] === undefined ? null : Number(h[SEQUENCE_HEADER]) };
}

export function toLogRecord(topic: string, partition: number, r: StoredRecord): LogRecord {
  let headers = r.headers;
  if (headers && (TX_HEADER in headers || SEQUENCE_HEADER in headers)) {
    const { [TX_HEADER]: _tx, [SEQUENCE_HEADER]: _seq, ...rest } = headers;
    headers = Object.keys(rest).length > 0 ? rest : null;
  }
  return { topic, partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers };
}
