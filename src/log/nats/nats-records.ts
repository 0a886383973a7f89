/**
 * A record as a NATS message: the value is the payload; key, timestamp, whether the value is
 * text, and the record's headers ride in NATS headers (URI-encoded: header values are one line
 * of text).
 */
import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { BrokerRecord, StoredRecord } from '../remote/broker.js';

const KEY = 'Sr-Key';
const TIMESTAMP = 'Sr-Ts';
const TEXT = 'Sr-Text';
const HEADERS = 'Sr-Headers';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toMessage(r: BrokerRecord): { payload: Uint8Array; headers: MsgHdrs } {
  const h = headers();
  h.set(TIMESTAMP, String(r.timestamp));
  if (r.key !== null) h.set(KEY, encodeURIComponent(r.key));
  if (typeof r.value === 'string') h.set(TEXT, '1');
  if (r.headers) h.set(HEADERS, encodeURIComponent(JSON.stringify(r.headers)));
  return { payload: typeof r.value === 'string' ? encoder.encode(r.value) : r.value, headers: h };
}

/** A stored message as a direct get or a consumer delivers it (both carry these). */
export interface NatsStored {
  seq: number;
  data: Uint8Array;
  header: MsgHdrs | undefined;
  /** Store time in epoch ms, for a message without our timestamp header. */
  storedAt: number;
}

export function fromMessage(m: NatsStored): StoredRecord {
  const h = m.header;
  const stored = h?.get(HEADERS);
  const timestamp = Number(h?.get(TIMESTAMP));
  return {
    offset: m.seq - 1,
    key: h?.has(KEY) ? decodeURIComponent(h.get(KEY)) : null,
    value: h?.get(TEXT) === '1' ? decoder.decode(m.data) : new Uint8Array(m.data),
    timestamp: Number.isFinite(timestamp) && h?.has(TIMESTAMP) ? timestamp : m.storedAt,
    headers: stored ? (JSON.parse(decodeURIComponent(stored)) as Record<string, string>) : null,
  };
}
