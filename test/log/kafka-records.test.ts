import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_HEADER, fromKafkaMessage, toKafkaMessage, type FetchedMessage } from '../../src/log/kafka/kafka-records.js';

/** What kafkajs would decode from the message `toKafkaMessage` made. */
function roundTrip(message: ReturnType<typeof toKafkaMessage>, offset: number): FetchedMessage {
  const headers: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.from(String(v));
  return {
    offset: String(offset),
    timestamp: message.timestamp!,
    key: message.key === null || message.key === undefined ? null : Buffer.from(message.key),
    value: message.value === null ? null : Buffer.from(message.value),
    headers,
  };
}

describe('Kafka record encoding', () => {
  it('marks bytes with a header and gives them back as bytes, text as text', () => {
    const bytes = new Uint8Array([9, 8, 7]);
    const m = toKafkaMessage({ key: 'k', value: bytes, timestamp: 42, headers: { a: '1' } }, 3);
    assert.equal(m.partition, 3);
    assert.deepEqual(m.headers, { a: '1', [BINARY_HEADER]: '1' });
    const back = fromKafkaMessage(roundTrip(m, 7));
    assert.ok(back.value instanceof Uint8Array);
    assert.deepEqual([...(back.value as Uint8Array)], [9, 8, 7]);
    assert.deepEqual({ ...back, value: null }, { offset: 7, key: 'k', value: null, timestamp: 42, headers: { a: '1' } });

    const text = fromKafkaMessage(roundTrip(toKafkaMessage({ key: null, value: 'hi', timestamp: 1, headers: null }, 0), 0));
    assert.deepEqual(text, { offset: 0, key: null, value: 'hi', timestamp: 1, headers: null });
  });

  it('sends a bytes view of a larger buffer as just its own bytes', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const m = toKafkaMessage({ key: null, value: backing.subarray(2, 4), timestamp: 0, headers: null }, 0);
    assert.deepEqual([...(m.value as Buffer)], [3, 4]);
  });

  it('does not let a user header named like the kind marker turn text into bytes', () => {
    const m = toKafkaMessage({ key: null, value: 'text', timestamp: 0, headers: { [BINARY_HEADER]: '1' } }, 0);
    assert.deepEqual(m.headers, {});
    assert.equal(fromKafkaMessage(roundTrip(m, 0)).value, 'text');
  });

  it('reads a message from another producer: null value as empty text, repeated headers as the last', () => {
    const got = fromKafkaMessage({
      offset: '5',
      timestamp: '100',
      key: null,
      value: null,
      headers: { h: [Buffer.from('first'), Buffer.from('last')] },
    });
    assert.deepEqual(got, { offset: 5, key: null, value: '', timestamp: 100, headers: { h: 'last' } });
  });
});
