import type { LogRecord, ProducerRecord } from '../log/types.js';

/** Malformed records of topic T go to `T.dlq`, keeping their original bytes. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * The dead-letter copy of a rejected record: the value exactly as it was read, with the reason
 * and the source position in headers, so it can be inspected and replayed.
 */
export function deadLetterRecord(record: LogRecord, reason: string): ProducerRecord {
  return {
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: {
      reason,
      source_topic: record.topic,
      source_partition: String(record.partition),
      source_offset: String(record.offset),
      rejected_at: new Date().toISOString(),
    },
  };
}
