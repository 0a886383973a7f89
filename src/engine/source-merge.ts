import type { RecordBatch } from '../log/types.js';

/** One input's read-ahead as parallel arrays: no object per buffered record. */
interface InputBuffer<T> {
  records: RecordBatch;
  times: ArrayLike<number>;
  values: T[];
  head: number;
  exhausted: boolean;
}

/** What an input holds before its first read. */
const EMPTY: RecordBatch = { length: 0, partition: noRecord, offset: noRecord, value: noRecord, record: noRecord };

function noRecord(i: number): never {
  throw new RangeError(`record ${i} of an empty batch`);
}

/**
 * Merges the records of several inputs — the source's partitions, of one topic or several,
 * numbered as `SourceLayout` does — into one stream ordered by event time, ties going to the lower
 * input (topic order, then partition), as Kafka Streams orders a task's input. The order depends
 * only on what each input holds, not on how reads were batched, so a replay after a crash
 * processes events in the same order and closes windows the same way.
 *
 * A record can be taken only while every input either has a buffered head or is known to be
 * exhausted (its last read came back empty); otherwise the caller must read more first.
 *
 * `take()` moves a cursor instead of returning an object, because it runs once per event.
 */
export class SourceMerge<T> {
  private readonly buffers: InputBuffer<T>[];
  /** Where `take()` moved to: the input, its batch and the record's index in it. */
  input = -1;
  batch: RecordBatch = EMPTY;
  index = -1;
  /** The event time and decoded value of that record. */
  time = NaN;
  value: T | undefined = undefined;

  constructor(inputs: number) {
    this.buffers = Array.from({ length: inputs }, () => ({ records: EMPTY, times: [], values: [], head: 0, exhausted: false }));
  }

  /**
   * Adds what a read of input `p` returned: records with their event times and decoded values,
   * index for index (no records → that input is exhausted for now). The input's buffer must have
   * been taken to its end: a read is due only then.
   */
  push(p: number, records: RecordBatch, times: ArrayLike<number>, values: T[]): void {
    if (times.length !== records.length || values.length !== records.length) {
      throw new Error(`SourceMerge.push: ${records.length} records, ${times.length} times and ${values.length} values`);
    }
    const b = this.buffers[p]!;
    if (b.head < b.records.length) throw new Error(`SourceMerge.push: input ${p} still has ${b.records.length - b.head} records`);
    if (records.length === 0) {
      b.exhausted = true;
      return;
    }
    b.exhausted = false;
    b.records = records;
    b.times = times;
    b.values = values;
    b.head = 0;
  }

  /** Inputs whose buffer is empty and that are not known to be exhausted: read these next. */
  needsRead(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.buffers.length; p++) {
      const b = this.buffers[p]!;
      if (b.head >= b.records.length && !b.exhausted) out.push(p);
    }
    return out;
  }

  /** Forget exhaustion, so the next round reads every empty input again. */
  resetExhausted(): void {
    for (const b of this.buffers) b.exhausted = false;
  }

  /**
   * Moves `record`, `time` and `value` to the next record in event-time order; false (cursor
   * unchanged) when an input must be read first or all are empty.
   */
  take(): boolean {
    let best = -1;
    let bestTime = Infinity;
    for (let p = 0; p < this.buffers.length; p++) {
      const b = this.buffers[p]!;
      if (b.head >= b.records.length) {
        if (!b.exhausted) return false;
        continue;
      }
      const t = b.times[b.head]!;
      if (best < 0 || t < bestTime) {
        bestTime = t;
        best = p;
      }
    }
    if (best < 0) return false;
    const b = this.buffers[best]!;
    const i = b.head++;
    this.input = best;
    this.batch = b.records;
    this.index = i;
    this.time = bestTime;
    this.value = b.values[i];
    return true;
  }

  buffered(): number {
    let n = 0;
    for (const b of this.buffers) n += b.records.length - b.head;
    return n;
  }
}
