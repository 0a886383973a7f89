import type { Consumer, EventLog, LogRecord, PollOptions } from '../../src/log/types.js';
import { decodeBatch, type EventCodec } from '../../src/events/codec.js';
import { deadLetterRecord, deadLetterTopic } from '../../src/events/dead-letter.js';

export interface EventBatch<T> {
  events: { record: LogRecord; event: T }[];
  /** Every record the poll returned, valid or not (for offsets and lag). */
  records: LogRecord[];
  rejected: number;
}

/**
 * Reads typed events from a consumer (a test helper: the engine has its own intake). A malformed
 * record never stops the reader: it is copied to `<topic>.dlq` with the reason and its original
 * bytes, counted, and skipped.
 */
export class EventReader<T> {
  /** Malformed records sent to the dead-letter topic since this reader started. */
  deadLettered = 0;

  constructor(
    private readonly log: EventLog,
    private readonly consumer: Consumer,
    private readonly codec: EventCodec<T>,
  ) {}

  async poll(options?: PollOptions): Promise<EventBatch<T>> {
    const records = await this.consumer.poll(options);
    const { events, rejected } = decodeBatch(this.codec, records);
    if (rejected.length > 0) {
      const byTopic = new Map<string, ReturnType<typeof deadLetterRecord>[]>();
      for (const { record, reason } of rejected) {
        const topic = deadLetterTopic(record.topic);
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push(deadLetterRecord(record, reason));
      }
      const producer = this.log.producer();
      for (const [topic, list] of byTopic) await producer.send(topic, list);
      this.deadLettered += rejected.length;
    }
    return { events, records, rejected: rejected.length };
  }
}
