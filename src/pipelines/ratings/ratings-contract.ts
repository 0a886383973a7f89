/**
 * The shapes of the ratings pipeline's seed API (`/metrics/*`) and its Server-Sent Events:
 * shared by the server and the dashboard (which imports these types only, through
 * `src/server/metrics-contract.ts`). The record itself is `metricsRecordSchema`'s type.
 */
import type { MetricsRecord, TopMovie } from './ratings-metrics.js';

export type { MetricsRecord, TopMovie };

export interface SummaryResponse {
  tumbling: MetricsRecord | null;
  sliding: MetricsRecord | null;
  /** Ratings counted in final tumbling windows since the server started following the topic. */
  total_ratings: number;
}

export interface HealthResponse {
  status: 'ok' | 'idle' | 'no_data';
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
  movies: (TopMovie & { rank: number })[];
}

export interface GenreRow {
  genre: string;
  count: number;
  avg_rating: number | null;
  /** Share of this window's ratings (a rating of a movie with two genres counts in both). */
  share: number;
}

export interface GenresResponse {
  window_type: string;
  window_start: string;
  window_end: string;
  genres: GenreRow[];
}

export interface HistoryResponse {
  window_type: string;
  /** Final results, oldest first. */
  items: MetricsRecord[];
}

/** What `GET /metrics/stream` sends at once on connect (event `snapshot`). */
export interface StreamSnapshot {
  summary: SummaryResponse | null;
  health: HealthResponse;
  /**
   * The newest result of each recent tumbling window, oldest first: final ones and the still open
   * ones (`final: false`), so a chart over time is live from the first minute.
   */
  history: MetricsRecord[];
}

/** SSE event names: `snapshot` (StreamSnapshot), `metrics` (MetricsRecord), `health` (HealthResponse). */
export type StreamEventName = 'snapshot' | 'metrics' | 'health';
