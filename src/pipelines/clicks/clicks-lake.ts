import { LakeSink } from '../../lake/lake-sink.js';
import type { LakeTable } from '../../lake/lake-table.js';
import { MAX_EVENT_TIME_MS } from '../../events/event-time.js';
import type { EventLog, LogRecord } from '../../log/types.js';
import { CLICKS_BINS_TOPIC, CLICKS_TOPIC, clickCodec, type Click } from './click-event.js';
import { clicksResultSchema, type ClicksResult } from './clicks-pipeline.js';
import { finalResultRows } from '../final-results.js';

export const CLICKS_RAW_GROUP = 'lake-clicks-raw';
export const CLICKS_AGG_GROUP = 'lake-clicks-agg';

export interface RawClickRow extends Click {
  source_partition: number;
  source_offset: number;
}

/** A `clicks` record's row; null for a record that is not a click (the processor dead-letters it). */
export function decodeRawClick(record: LogRecord): RawClickRow | null {
  let click: Click;
  try {
    click = clickCodec.decode(record.value);
  } catch {
    return null;
  }
  if (click.ts > MAX_EVENT_TIME_MS) return null;
  return { ...click, source_partition: record.partition, source_offset: record.offset };
}

/** `clicks_raw` (lake `clicks/raw`): every click, by UTC date of its time. */
export const clicksRawTable: LakeTable<RawClickRow> = {
  path: 'clicks/raw',
  columns: [
    { name: 'type', type: 'VARCHAR', get: (r) => r.type },
    { name: 'ts', type: 'BIGINT', get: (r) => r.ts },
    { name: 'event_time', type: 'TIMESTAMP', get: (r) => r.ts },
    { name: 'source_partition', type: 'INTEGER', get: (r) => r.source_partition },
    { name: 'source_offset', type: 'BIGINT', get: (r) => r.source_offset },
  ],
  partitionBy: [{ name: 'date', type: 'DATE', get: (r) => new Date(r.ts).toISOString().slice(0, 10) }],
};

export type AggClickRow = Pick<ClicksResult, 'window_start' | 'window_end' | 'window_type' | 'count' | 'cheers' | 'hate' | 'late_events' | 'processing_time'>;

/** A `clicks.bins` record's row when it is a valid final bin; null for anything else. */
export const decodeFinalBin = finalResultRows(clicksResultSchema, (r, w): AggClickRow => ({
  ...w,
  window_type: r.window_type,
  count: r.count,
  cheers: r.cheers,
  hate: r.hate,
  late_events: r.late_events,
  processing_time: r.processing_time,
}));

/** `clicks_agg` (lake `clicks/agg`): the final 2-second bins, by window type and UTC date. */
export const clicksAggTable: LakeTable<AggClickRow> = {
  path: 'clicks/agg',
  columns: [
    { name: 'window_start', type: 'TIMESTAMP', get: (r) => r.window_start },
    { name: 'window_end', type: 'TIMESTAMP', get: (r) => r.window_end },
    { name: 'count', type: 'BIGINT', get: (r) => r.count },
    { name: 'cheers', type: 'BIGINT', get: (r) => r.cheers },
    { name: 'hate', type: 'BIGINT', get: (r) => r.hate },
    { name: 'late_events', type: 'BIGINT', get: (r) => r.late_events },
    { name: 'processing_time', type: 'VARCHAR', get: (r) => r.processing_time },
  ],
  partitionBy: [
    { name: 'window_type', get: (r) => r.window_type },
    { name: 'date', type: 'DATE', get: (r) => r.window_start.slice(0, 10) },
  ],
};

export const CLICKS_LAKE_VIEWS = { clicks_raw: clicksRawTable as LakeTable<never>, clicks_agg: clicksAggTable as LakeTable<never> };

/** The two sinks: `clicks` → clicks/raw, `clicks.bins` finals → clicks/agg (exactly once each). */
export function clicksSinks({ log, dataDir }: { log: EventLog; dataDir: string }) {
  return [
    new LakeSink({ log, dataDir, topic: CLICKS_TOPIC, group: CLICKS_RAW_GROUP, table: clicksRawTable, decode: decodeRawClick, flushIntervalMs: 5000 }),
    new LakeSink({ log, dataDir, topic: CLICKS_BINS_TOPIC, group: CLICKS_AGG_GROUP, table: clicksAggTable, decode: decodeFinalBin, flushIntervalMs: 5000 }),
  ];
}
