import { LogError } from './types.js';

/** Kafka's rule for topic names, so a topic made here can move to a Kafka cluster unchanged. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function validateTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new LogError(
      `invalid topic name ${JSON.stringify(name)}: use 1 to 249 letters, digits, '.', '_' or '-'`,
    );
  }
}

/** A topic's partition count: 1 to 1024 (the same bound on every adapter). */
export function validatePartitionCount(name: string, partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
    throw new LogError(`topic ${name}: partitions must be an integer from 1 to 1024, got ${partitions}`);
  }
}
