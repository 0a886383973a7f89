/**
 * A `BrokerRecord` as a Kafka message and back. Kafka values are bytes only, so a record whose
 * value was bytes carries the header `__sr_bin: 1`, and reading strips it again: text comes back
 * as text and bytes as bytes, with the user's own headers untouched.
 */
import type { Message } from 'kafkajs';
import type { BrokerRecord, StoredRecord } from '../remote/broker.js';

export const BINARY_HEADER = '__sr_bin';

/** A message as kafkajs decodes it from a fetch response (offsets and times as decimal strings). */
export interface FetchedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}

export function toKafkaMessage(record: BrokerRecord, partition: number): Message {
  const binary = typeof record.value !== 'string';
  const message: Message = {
    partition,
    key: record.key,
    value: typeof record.value === 'string' ? record.value : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
    timestamp: String(record.timestamp),
  };
  // Most records have no headers: no object to build, none for kafkajs to encode.
  if (binary || record.headers) {
    const headers: Record<string, string> = { ...(record.headers ?? {}) };
    if (binary) headers[BINARY_HEADER] = '1';
    else delete headers[BINARY_HEADER];
    message.headers = headers;
  }
  return message;
}

export function fromKafkaMessage(message: FetchedMessage): StoredRecord {
  let binary = false;
  let headers: Record<string, string> | null = null;
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    // A header repeated under one name comes as an array; the contract holds one value a name.
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value === undefined) continue;
    if (name === BINARY_HEADER) {
      binary = value.toString() === '1';
      continue;
    }
    (headers ??= {})[name] = value.toString();
  }
  const bytes = message.value ?? Buffer.alloc(0);
  return {
    offset: Number(message.offset),
    key: message.key === null ? null : message.key.toString(),
    // A copy, so a record does not pin the whole fetch response's buffer.
    value: binary ? new Uint8Array(bytes) : bytes.toString(),
    timestamp: Number(message.timestamp),
    headers,
  };
}
