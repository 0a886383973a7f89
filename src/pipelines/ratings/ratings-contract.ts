/**
 * The shapes of the ratings pipeline's seed API (`/metrics/*`) and its Server-Sent Events:
 * shared by the server and the dashboard (which imports these types only, through
 * `src/server/metrics-contract.ts`). The record itself is `metricsRecordSchema`'s type.
 */
import type { MetricsRecord, TopMovie } from './ratings-metrics.js';

export type { MetricsRecord, TopMovie };

/**
 * The seed's flat summary of one window result (the latest tumbling one in `GET /metrics/summary`):
 * what `curl … | jq '.avg_rating'` reads.
 */
export interface FlatSummary {
  window_start: string;
  window_end: string;
  window_type: string;
  /** Ratings in this window. */
  total_ratings: number;
  avg_rating: number | null;
  p50_rating: number | null;
  p95_rating: number | null;
  /** When the result was computed (its processing time, ISO). */
  timestamp: string;
  /** Whether the window is closed (false: it still grows). */
  final: boolean;
}

/** `GET /metrics/summary`: the seed's flat fields from the latest tumbling result, streamrec's nested results beside. */
export interface SummaryResponse extends FlatSummary {
  tumbling: MetricsRecord | null;
  sliding: MetricsRecord | null;
  /** Ratings counted in final tumbling windows since the server started following the topic. */
  ratings_total_since_start: number;
}

/** The `summary` message of the seed stream: the flat fields and the running total, no nested records. */
export type StreamSummary = FlatSummary & { ratings_total_since_start: number };

export interface HealthResponse {
  /** `healthy`: results arrive and ratings are being processed; `idle`: results, but nothing processed lately; `no_data`: no result yet. */
  status: 'healthy' | 'idle' | 'no_data';
  last_event_time: string | null;
  watermark: string | null;
  /** Processing time minus the watermark, seconds. */
  watermark_delay_seconds: number | null;
  /** The pipeline's allowed lateness (newest event time − watermark), seconds: the delay to expect. */
  allowed_lateness_seconds: number | null;
  /** Ratings the ratings pipeline has processed (its committed offsets). */
  ratings_processed: number;
  /** Ratings not yet processed by the ratings pipeline. */
  consumer_lag: number;
  /** Ratings processed per second (last few seconds). */
  events_per_second: number;
  /** Ratings in `ratings.late` (late for at least one window), counted as the processor commits them. */
  late_events_total: number;
  dead_letters_total: number;
  metrics_received: number;
  sse_clients: number;
  uptime_seconds: number;
}

export interface TopnResponse {
  window_type: string;
  window_start: string;
  window_end: string;
  final: boolean;
  /** Movies returned. */
  count: number;
  /** The result's processing time (ISO). */
  timestamp: string;
  /** `rating_count` is `count` under the seed's name. */
  movies: (TopMovie & { rank: number; rating_count: number })[];
}

export interface GenreStats {
  count: number;
  avg_rating: number | null;
  /** Share of this window's genre assignments (a rating of a movie with two genres counts in both), 0–1. */
  share: number;
  /** `share` × 100. */
  percentage: number;
}

export interface GenreRow extends GenreStats {
  genre: string;
}

export interface GenresResponse {
  window_type: string;
  window_start: string;
  window_end: string;
  /** Keyed by genre name (the seed's shape: `jq '.genres | keys'`), in descending count. */
  genres: Record<string, GenreStats>;
  /** The same rows as a list, descending count then name. */
  genre_list: GenreRow[];
}

/** One entry of `GET /metrics/history`'s `history`: a window's latest result, flat. */
export type HistoryEntry = FlatSummary;

export interface HistoryResponse {
  /** Entries in `history`. */
  count: number;
  /**
   * The latest result of each recent window, newest last: for tumbling_1min the open windows too
   * (`final: false`), so it fills from the first minute; for sliding_5min the final results.
   */
  history: HistoryEntry[];
  window_type: string;
  /** Final results, oldest first. */
  items: MetricsRecord[];
}

/** A message of the seed stream (`GET /metrics/stream`): unnamed `data:` frames, read with `onmessage`. */
export type SeedStreamMessage =
  | { type: 'summary'; data: StreamSummary }
  | { type: 'topn'; data: TopnResponse }
  | { type: 'genres'; data: GenresResponse }
  | { type: 'heartbeat'; data: { timestamp: string } };

/** What `GET /metrics/stream?format=events` sends at once on connect (event `snapshot`). */
export interface StreamSnapshot {
  summary: SummaryResponse | null;
  health: HealthResponse;
  /**
   * The newest result of each recent tumbling window, oldest first: final ones and the still open
   * ones (`final: false`), so a chart over time is live from the first minute.
   */
  history: MetricsRecord[];
}

/** `GET /metrics/stream?format=events`' event names: `snapshot` (StreamSnapshot), `metrics` (MetricsRecord), `health` (HealthResponse). */
export type StreamEventName = 'snapshot' | 'metrics' | 'health';
