import { LakeSink } from '../../lake/lake-sink.js';
import type { LakeTable } from '../../lake/lake-table.js';
import type { EventLog, LogRecord } from '../../log/types.js';
import type { CommerceEvent } from './commerce-contract.js';
import { COMMERCE_EVENTS_TOPIC, COMMERCE_WINDOWS_TOPIC, commerceEventCodec, eventPayload } from './commerce-events.js';
import { commerceResultSchema } from './commerce-pipeline.js';
import { finalResultRows, MAX_TIME_MS } from '../final-results.js';

export const COMMERCE_RAW_GROUP = 'lake-commerce-raw';
export const COMMERCE_AGG_GROUP = 'lake-commerce-agg';

/** A `commerce_raw` row: what the warehouse's `realtime_events` holds, plus where it came from. */
export interface RawCommerceRow {
  event_type: CommerceEvent['topic'];
  event_id: number;
  customer_id: number;
  timestamp: number;
  payload: string;
  source_partition: number;
  source_offset: number;
}

/** A `commerce.events` record's row; null for a record that is not a commerce event (the processor dead-letters it). */
export function decodeRawCommerce(record: LogRecord): RawCommerceRow | null {
  let event: CommerceEvent;
  try {
    event = commerceEventCodec.decode(record.value);
  } catch {
    return null;
  }
  if (event.timestamp > MAX_TIME_MS) return null;
  return {
    event_type: event.topic,
    event_id: event.event_id,
    customer_id: event.customer_id,
    timestamp: event.timestamp,
    payload: JSON.stringify(eventPayload(event)),
    source_partition: record.partition,
    source_offset: record.offset,
  };
}

/**
 * `commerce_raw` (lake `commerce/raw`): every event of every topic, by UTC date of its time. Without
 * PostgreSQL this is the warehouse (the seed's `realtime_events`: event_type, customer_id,
 * timestamp, payload; `processed_at` is the file's write, not kept per row).
 */
export const commerceRawTable: LakeTable<RawCommerceRow> = {
  path: 'commerce/raw',
  columns: [
    { name: 'event_type', type: 'VARCHAR', get: (r) => r.event_type },
    { name: 'event_id', type: 'BIGINT', get: (r) => r.event_id },
    { name: 'customer_id', type: 'BIGINT', get: (r) => r.customer_id },
    { name: 'timestamp', type: 'TIMESTAMP', get: (r) => r.timestamp },
    { name: 'payload', type: 'VARCHAR', get: (r) => r.payload },
    { name: 'source_partition', type: 'INTEGER', get: (r) => r.source_partition },
    { name: 'source_offset', type: 'BIGINT', get: (r) => r.source_offset },
  ],
  partitionBy: [{ name: 'date', type: 'DATE', get: (r) => new Date(r.timestamp).toISOString().slice(0, 10) }],
};

export interface AggCommerceRow {
  window_start: string;
  window_end: string;
  window_type: string;
  count: number;
  late_events: number;
  processing_time: string;
  transactions: number;
  revenue: number;
  avg_order_value: number | null;
  distinct_customers: number;
  cart_adds: number;
  cart_removes: number;
  cart_conversion: number | null;
  /** JSON: category → {units, revenue}. */
  categories: string;
  /** JSON: action → count. */
  behaviors: string;
  /** JSON: [{query, count}]. */
  top_searches: string;
}

/** A `commerce.windows` record's row when it is a valid final window; null for anything else. */
export const decodeFinalWindow = finalResultRows(commerceResultSchema, (r, w): AggCommerceRow => ({
    ...w,
    window_type: r.window_type,
    count: r.count,
    late_events: r.late_events,
    processing_time: r.processing_time,
    transactions: r.transactions,
    revenue: r.revenue,
    avg_order_value: r.avg_order_value,
    distinct_customers: r.distinct_customers,
    cart_adds: r.cart.adds,
    cart_removes: r.cart.removes,
    cart_conversion: r.cart.conversion,
    categories: JSON.stringify(r.categories),
    behaviors: JSON.stringify(r.behaviors),
    top_searches: JSON.stringify(r.top_searches),
}));

/** `commerce_agg` (lake `commerce/agg`): the final 30-second windows, by window type and UTC date. */
export const commerceAggTable: LakeTable<AggCommerceRow> = {
  path: 'commerce/agg',
  columns: [
    { name: 'window_start', type: 'TIMESTAMP', get: (r) => r.window_start },
    { name: 'window_end', type: 'TIMESTAMP', get: (r) => r.window_end },
    { name: 'count', type: 'BIGINT', get: (r) => r.count },
    { name: 'late_events', type: 'BIGINT', get: (r) => r.late_events },
    { name: 'transactions', type: 'BIGINT', get: (r) => r.transactions },
    { name: 'revenue', type: 'DOUBLE', get: (r) => r.revenue },
    { name: 'avg_order_value', type: 'DOUBLE', get: (r) => r.avg_order_value },
    { name: 'distinct_customers', type: 'BIGINT', get: (r) => r.distinct_customers },
    { name: 'cart_adds', type: 'BIGINT', get: (r) => r.cart_adds },
    { name: 'cart_removes', type: 'BIGINT', get: (r) => r.cart_removes },
    { name: 'cart_conversion', type: 'DOUBLE', get: (r) => r.cart_conversion },
    { name: 'categories', type: 'VARCHAR', get: (r) => r.categories },
    { name: 'behaviors', type: 'VARCHAR', get: (r) => r.behaviors },
    { name: 'top_searches', type: 'VARCHAR', get: (r) => r.top_searches },
    { name: 'processing_time', type: 'VARCHAR', get: (r) => r.processing_time },
  ],
  partitionBy: [
    { name: 'window_type', get: (r) => r.window_type },
    { name: 'date', type: 'DATE', get: (r) => r.window_start.slice(0, 10) },
  ],
};

export const COMMERCE_LAKE_VIEWS = { commerce_raw: commerceRawTable as LakeTable<never>, commerce_agg: commerceAggTable as LakeTable<never> };

/** The two lake sinks: `commerce.events` → commerce/raw, `commerce.windows` finals → commerce/agg (exactly once each). */
export function commerceLakeSinks({ log, dataDir }: { log: EventLog; dataDir: string }) {
  return [
    new LakeSink({ log, dataDir, topic: COMMERCE_EVENTS_TOPIC, group: COMMERCE_RAW_GROUP, table: commerceRawTable, decode: decodeRawCommerce, flushIntervalMs: 5000 }),
    new LakeSink({ log, dataDir, topic: COMMERCE_WINDOWS_TOPIC, group: COMMERCE_AGG_GROUP, table: commerceAggTable, decode: decodeFinalWindow, flushIntervalMs: 5000 }),
  ];
}
