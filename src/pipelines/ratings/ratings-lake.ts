import { LakeSink, type LakeSinkOptions } from '../../lake/lake-sink.js';
import type { LakeTable } from '../../lake/lake-table.js';
import type { EventLog, LogRecord } from '../../log/types.js';
import { RATINGS_TOPIC, ratingCodec, type Rating } from '../../movies/rating-event.js';
import { finalMetricsSchema, type MetricsRecord } from './ratings-metrics.js';
import { METRICS_TOPIC } from './ratings-topics.js';

/** Consumer groups of the two lake sinks. */
export const RAW_LAKE_GROUP = 'lake-ratings-raw';
export const AGG_LAKE_GROUP = 'lake-ratings-agg';

/** The largest epoch ms a TIMESTAMP and a 4-digit year take (9999-12-31T23:59:59.999Z). */
const MAX_TIME_MS = 253_402_300_799_999;

// ---------------------------------------------------------------------------------------------
// ratings/raw: every valid rating event.

export interface RawRatingRow extends Rating {
  source_partition: number;
  source_offset: number;
}

/** A rating record's row; null for invalid records (the processor sends those to the DLQ). */
export function decodeRawRating(record: LogRecord): RawRatingRow | null {
  let rating: Rating;
  try {
    rating = ratingCodec.decode(record.value);
  } catch {
    return null;
  }
  if (rating.timestamp > MAX_TIME_MS) return null;
  return { ...rating, source_partition: record.partition, source_offset: record.offset };
}

export const ratingsRawTable: LakeTable<RawRatingRow> = {
  path: 'ratings/raw',
  columns: [
    { name: 'userId', type: 'INTEGER', get: (r) => r.userId },
    { name: 'movieId', type: 'INTEGER', get: (r) => r.movieId },
    { name: 'rating', type: 'DOUBLE', get: (r) => r.rating },
    { name: 'timestamp', type: 'BIGINT', get: (r) => r.timestamp },
    { name: 'event_time', type: 'TIMESTAMP', get: (r) => r.timestamp },
    { name: 'source_partition', type: 'INTEGER', get: (r) => r.source_partition },
    { name: 'source_offset', type: 'BIGINT', get: (r) => r.source_offset },
  ],
  partitionBy: [
    { name: 'date', type: 'DATE', get: (r) => utcHour(r.timestamp).slice(0, 10) },
    { name: 'hour', type: 'INTEGER', get: (r) => utcHour(r.timestamp).slice(11, 13) },
  ],
};

let lastHour = NaN;
let lastHourIso = '';
/** The ISO time of the hour ms falls in; remembers the last one (events come roughly in time order). */
function utcHour(ms: number): string {
  const hour = Math.floor(ms / 3_600_000);
  if (hour !== lastHour) {
    lastHour = hour;
    lastHourIso = new Date(hour * 3_600_000).toISOString();
  }
  return lastHourIso;
}

// ---------------------------------------------------------------------------------------------
// ratings/agg: final window results from the metrics topic.

/**
 * A row of ratings/agg. The columns predate p99_rating, and the readers glob old and new files
 * together without union_by_name: a new column would break them, so p99 stays out of the lake.
 */
export type AggRow = Pick<MetricsRecord, 'window_start' | 'window_end' | 'window_type' | 'count' | 'avg_rating' | 'p50_rating' | 'p95_rating' | 'late_events'> & {
  processing_time: string | null;
  /** JSON text. */
  top_movies: string;
  /** JSON text. */
  genres: string;
};

const textDecoder = new TextDecoder();

/** A metrics record's row when it is a valid final window result; null for anything else. */
export function decodeFinalMetrics(record: LogRecord): AggRow | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof record.value === 'string' ? record.value : textDecoder.decode(record.value));
  } catch {
    return null;
  }
  const result = finalMetricsSchema.safeParse(parsed);
  if (!result.success) return null;
  const m = result.data;
  const start = Date.parse(m.window_start);
  if (start < 0 || start > MAX_TIME_MS) return null;
  return {
    window_start: new Date(start).toISOString(),
    window_end: new Date(Date.parse(m.window_end)).toISOString(),
    window_type: m.window_type,
    count: m.count,
    avg_rating: m.avg_rating ?? null,
    p50_rating: m.p50_rating ?? null,
    p95_rating: m.p95_rating ?? null,
    late_events: m.late_events ?? 0,
    processing_time: m.processing_time ?? null,
    top_movies: JSON.stringify(m.top_movies ?? []),
    genres: JSON.stringify(m.genres ?? {}),
  };
}

export const ratingsAggTable: LakeTable<AggRow> = {
  path: 'ratings/agg',
  columns: [
    { name: 'window_start', type: 'VARCHAR', get: (r) => r.window_start },
    { name: 'window_end', type: 'VARCHAR', get: (r) => r.window_end },
    { name: 'count', type: 'BIGINT', get: (r) => r.count },
    { name: 'avg_rating', type: 'DOUBLE', get: (r) => r.avg_rating },
    { name: 'p50_rating', type: 'DOUBLE', get: (r) => r.p50_rating },
    { name: 'p95_rating', type: 'DOUBLE', get: (r) => r.p95_rating },
    { name: 'late_events', type: 'BIGINT', get: (r) => r.late_events },
    { name: 'processing_time', type: 'VARCHAR', get: (r) => r.processing_time },
    { name: 'top_movies', type: 'VARCHAR', get: (r) => r.top_movies },
    { name: 'genres', type: 'VARCHAR', get: (r) => r.genres },
  ],
  partitionBy: [
    { name: 'window_type', type: 'VARCHAR', get: (r) => r.window_type },
    { name: 'date', type: 'DATE', get: (r) => r.window_start.slice(0, 10) },
  ],
};

/** The lake tables queries see, by view name. */
export const RATINGS_LAKE_VIEWS = { ratings_raw: ratingsRawTable, ratings_agg: ratingsAggTable } as const;

// ---------------------------------------------------------------------------------------------
// Sinks.

export type RatingsSinkOptions<T> = { log: EventLog; dataDir: string } & Partial<Omit<LakeSinkOptions<T>, 'log' | 'dataDir' | 'table' | 'decode'>>;

/** Follows the ratings topic into ratings/raw (group lake-ratings-raw). */
export function ratingsRawSink(options: RatingsSinkOptions<RawRatingRow>): LakeSink<RawRatingRow> {
  return new LakeSink({ topic: RATINGS_TOPIC, group: RAW_LAKE_GROUP, ...options, table: ratingsRawTable, decode: decodeRawRating });
}

/** Follows the metrics topic's final results into ratings/agg (group lake-ratings-agg). */
export function ratingsAggSink(options: RatingsSinkOptions<AggRow>): LakeSink<AggRow> {
  return new LakeSink({ topic: METRICS_TOPIC, group: AGG_LAKE_GROUP, ...options, table: ratingsAggTable, decode: decodeFinalMetrics });
}
