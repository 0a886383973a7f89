import { LakeSink } from '../../lake/lake-sink.js';
import type { LakeTable } from '../../lake/lake-table.js';
import { MAX_EVENT_TIME_MS } from '../../events/event-time.js';
import type { EventLog, LogRecord } from '../../log/types.js';
import { COMMERCE_TOPICS, type CommerceEvent, type CommerceTopic } from './commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC, commerceSourceCodecs, eventPayload, isCommerceTopic } from './commerce-events.js';
import { commerceResultSchema } from './commerce-pipeline.js';
import { finalResultRows } from '../final-results.js';

/** The raw sink of `topic`'s consumer group (one sink, and one group, a topic). */
export function commerceRawGroup(topic: CommerceTopic): string {
  return `lake-commerce-raw-${topic}`;
}
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

/** A record's row (the record of one of the commerce topics); null for anything else (the processor dead-letters it). */
export function decodeRawCommerce(record: LogRecord): RawCommerceRow | null {
  if (!isCommerceTopic(record.topic)) return null;
  let event: CommerceEvent;
  try {
    event = commerceSourceCodecs[record.topic].decode(record.value);
  } catch {
    return null;
  }
  if (event.timestamp > MAX_EVENT_TIME_MS) return null;
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
 * `commerce_raw` (lake `commerce/events/<topic>/date=…`): every event of every topic, by UTC date
 * of its time; the view reads the five topics' directories. Without PostgreSQL this is the
 * warehouse (the seed's `realtime_events`: event_type, customer_id, timestamp, payload;
 * `processed_at` is the file's write, not kept per row). (`commerce/raw` held the rows of the
 * former union topic `commerce.events`: it is read no more.)
 */
export const commerceRawTable: LakeTable<RawCommerceRow> = {
  path: 'commerce/events',
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

/**
 * The table one topic's raw sink writes: `commerce_raw`'s columns under a directory of the topic's
 * own, so each sink's files (named by partition and offset) and its clean-up at start stay apart.
 */
export function commerceRawTopicTable(topic: CommerceTopic): LakeTable<RawCommerceRow> {
  return { ...commerceRawTable, path: `${commerceRawTable.path}/${topic}` };
}

/** The lake sinks: each commerce topic → its part of commerce_raw, `commerce.windows` finals → commerce/agg (exactly once each). */
export function commerceLakeSinks({ log, dataDir }: { log: EventLog; dataDir: string }) {
  return [
    ...COMMERCE_TOPICS.map(
      (topic) => new LakeSink({ log, dataDir, topic, group: commerceRawGroup(topic), table: commerceRawTopicTable(topic), decode: decodeRawCommerce, flushIntervalMs: 5000 }),
    ),
    new LakeSink({ log, dataDir, topic: COMMERCE_WINDOWS_TOPIC, group: COMMERCE_AGG_GROUP, table: commerceAggTable, decode: decodeFinalWindow, flushIntervalMs: 5000 }),
  ];
}
