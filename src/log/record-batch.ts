import type { Consumer, LogRecord, PollOptions, RecordBatch } from './types.js';

/** A RecordBatch over records already built (for adapters without a batch read of their own). */
export class RecordArrayBatch implements RecordBatch {
  constructor(private readonly records: readonly LogRecord[]) {}

  get length(): number {
    return this.records.length;
  }

  partition(i: number): number {
    return this.records[i]!.partition;
  }

  offset(i: number): number {
    return this.records[i]!.offset;
  }

  value(i: number): LogRecord['value'] {
    return this.records[i]!.value;
  }

  record(i: number): LogRecord {
    return this.records[i]!;
  }
}

/** The consumer's own batch read when it has one, else its poll wrapped. */
export async function pollBatch(consumer: Consumer, options?: PollOptions): Promise<RecordBatch> {
  if (consumer.pollBatch) return consumer.pollBatch(options);
  return new RecordArrayBatch(await consumer.poll(options));
}
