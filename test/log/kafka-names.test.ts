import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeKafka, localTopic, serverTopic, type KafkaUrl } from '../../src/log/kafka/kafka-names.js';

const url = (prefix: string): KafkaUrl => ({ kind: 'kafka', servers: ['a:9092', 'b:9092'], prefix });

describe('Kafka topic names', () => {
  it('puts topics under the prefix, and reads back only its own', () => {
    assert.equal(serverTopic(url('sr'), 'ratings'), 'sr.ratings');
    assert.equal(serverTopic(url('sr'), '__streamrec_tx'), 'sr.__streamrec_tx');
    assert.equal(localTopic(url('sr'), 'sr.ratings'), 'ratings');
    assert.equal(localTopic(url('sr'), 'srx.ratings'), null);
    assert.equal(localTopic(url('sr'), 'sr.'), null);
    assert.equal(localTopic(url('sr'), 'other'), null);
  });

  it('without a prefix takes every topic but Kafka\u2019s own', () => {
    assert.equal(serverTopic(url(''), 'ratings'), 'ratings');
    assert.equal(localTopic(url(''), 'ratings'), 'ratings');
    assert.equal(localTopic(url(''), '__streamrec_tx'), '__streamrec_tx');
    assert.equal(localTopic(url(''), '__consumer_offsets'), null);
  });

  it('describes the servers and prefix', () => {
    assert.equal(describeKafka(url('sr')), 'kafka://a:9092,b:9092/sr');
  });
});
