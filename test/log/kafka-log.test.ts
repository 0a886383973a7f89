/**
 * The event log contract on Kafka: the shared remote core over the Kafka broker, against
 * librdkafka's mock cluster with 3 brokers (kafka-mock.ts, through Debian's kcat). The mock has no
 * CreateTopics (it auto-creates every topic with its default partition count) and no
 * DeleteRecords: the contract reads the partition count a topic got, and skips on-demand deletion
 * naming why. On a real cluster the adapter creates topics with the asked count and deletes
 * records with DeleteRecords (kafka-topics.ts). Without kcat the suite says so and skips.
 */
import { after, it } from 'node:test';
import { createKafkaBroker } from '../../src/log/kafka/kafka-broker.js';
import { logContract } from './contract.js';
import { kafkaMockMissing, startKafkaMock, type KafkaMock } from './kafka-mock.js';
import { remoteLogUnderTest } from './remote-under-test.js';

const missing = kafkaMockMissing();
if (missing !== null) {
  it('event log contract: Kafka (librdkafka mock cluster)', { skip: missing }, () => {});
} else {
  let mock: KafkaMock | null = null;
  after(async () => mock?.stop());
  logContract(
    'Kafka (librdkafka mock cluster, 3 brokers)',
    async () => {
      mock = await startKafkaMock(3);
      const url = { kind: 'kafka' as const, servers: mock.servers, prefix: 'contract' };
      return remoteLogUnderTest(() => createKafkaBroker(url));
    },
    { retention: false, serverPartitions: true, noDeleteRecords: 'librdkafka’s mock cluster has no DeleteRecords (a real cluster: trimBefore sends it)' },
  );
}
