import { LakeSink, type LakeSinkOptions } from '../../lake/lake-sink.js';
import { lakeTable, type LakeTable } from '../../lake/lake-table.js';
import { RATINGS_AGG_LAYOUT, RATINGS_RAW_LAYOUT } from '../../movies/ratings-lake-layout.js';
import { MAX_EVENT_TIME_MS } from '../../events/event-time.js';
import type { EventLog, LogRecord } from '../../log/types.js';
import { RATINGS_TOPIC, ratingCodec, type Rating } from '../../movies/rating-event.js';
import { finalMetricsSchema, type MetricsRecord } from './ratings-metrics.js';
import { METRICS_TOPIC } from './ratings-topics.js';

/** Consumer groups of the two lake sinks. */
export const RAW_LAKE_GROUP = 'lake-ratings-raw';
export const AGG_LAKE_GROUP = 'lake-ratings-agg';


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
  if (rating.timestamp > MAX_EVENT_TIME_MS) return null;
  return { ...rating, source_partition: record.partition, source_offset: record.offset };
}

export const ratingsRawTable: LakeTable<RawRatingRow> = lakeTable<RawRatingRow>(
  RATINGS_RAW_LAYOUT,
  {
    userId: (r) => r.userId,
    movieId: (r) => r.movieId,
    rating: (r) => r.rating,
    timestamp: (r) => r.timestamp,
    event_time: (r) => r.timestamp,
    source_partition: (r) => r.source_partition,
    source_offset: (r) => r.source_offset,
  },
  { date: (r) => utcHour(r.timestamp).slice(0, 10), hour: (r) => utcHour(r.timestamp).slice(11, 13) },
);

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

/** A row of ratings/agg (no p99_rating: see RATINGS_AGG_LAYOUT). */
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
  if (start < 0 || start > MAX_EVENT_TIME_MS) return null;
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

export const ratingsAggTable: LakeTable<AggRow> = lakeTable<AggRow>(
  RATINGS_AGG_LAYOUT,
  {
    window_start: (r) => r.window_start,
    window_end: (r) => r.window_end,
    count: (r) => r.count,
    avg_rating: (r) => r.avg_rating,
    p50_rating: (r) => r.p50_rating,
    p95_rating: (r) => r.p95_rating,
    late_events: (r) => r.late_events,
    processing_time: (r) => r.processing_time,
    top_movies: (r) => r.top_movies,
    genres: (r) => r.genres,
  },
  { window_type: (r) => r.window_type, date: (r) => r.window_start.slice(0, 10) },
);

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
