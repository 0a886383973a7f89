import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isUnsupported, kafkaError } from '../../src/log/kafka/kafka-errors.js';
import { LogError } from '../../src/log/types.js';

describe('Kafka errors', () => {
  it('name the servers that could not be reached, and the operation', () => {
    const e = kafkaError(['a:9092'], 'append to t[0]', Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError' }));
    assert.ok(e instanceof LogError);
    assert.equal(e.message, 'could not reach the Kafka server(s) a:9092 (append to t[0]): Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const other = kafkaError(['a:9092'], 'list topics', new Error('boom'));
    assert.equal(other.message, 'Kafka server(s) a:9092: list topics failed: boom');
    assert.equal(kafkaError(['a:9092'], 'x', other), other, 'a LogError passes through');
  });

  it('tell an API the server lacks, also when kafkajs wrapped it in a retry error', () => {
    const lacking = new Error('The Kafka server does not support the requested API version');
    const wrapped = Object.assign(new Error('Retries exhausted'), { originalError: lacking });
    assert.ok(isUnsupported(lacking));
    assert.ok(isUnsupported(wrapped));
    assert.ok(!isUnsupported(new Error('Request timed out')));
  });
});
