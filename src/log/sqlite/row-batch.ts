import type { LogRecord, LogValue, RecordBatch } from '../types.js';
import type { RawRow } from './partition-reader.js';

/** Rows read from one partition: [offset, ts, key, value, headers] as SQLite returned them. */
export interface RowSegment {
  topic: string;
  partition: number;
  rows: RawRow[];
}

/** The rows of one poll as a RecordBatch: a LogRecord is built only for the rows asked for. */
export class RowBatch implements RecordBatch {
  readonly length: number;
  /** rows of every segment, in order, and where each segment ends in them. */
  private readonly rows: RawRow[];
  private readonly ends: number[];

  constructor(private readonly segments: readonly RowSegment[]) {
    this.rows = segments.length === 1 ? segments[0]!.rows : segments.flatMap((s) => s.rows);
    this.ends = [];
    let end = 0;
    for (const s of segments) this.ends.push((end += s.rows.length));
    this.length = end;
  }

  partition(i: number): number {
    return this.segmentOf(i).partition;
  }

  offset(i: number): number {
    return this.rows[i]![0];
  }

  value(i: number): LogValue {
    return this.rows[i]![3];
  }

  record(i: number): LogRecord {
    const { topic, partition } = this.segmentOf(i);
    return toRecord(topic, partition, this.rows[i]!);
  }

  private segmentOf(i: number): RowSegment {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`record ${i} of a batch of ${this.length}`);
    let s = 0;
    while (i >= this.ends[s]!) s++;
    return this.segments[s]!;
  }
}

export function toRecord(topic: string, partition: number, [offset, ts, key, value, headers]: RawRow): LogRecord {
  return {
    topic,
    partition,
    offset,
    timestamp: ts,
    key,
    value,
    headers: headers === null ? null : (JSON.parse(headers) as Record<string, string>),
  };
}
