/** Shapes batch analytics writes and reads: Parquet rows (as JSON), the manifest and the run summary. */


/** Rating values the distributions list (0.5 … 5.0): the stream's. */
export { RATING_VALUES } from '../movies/movie.js';

/** Percentiles of the distributions, computed as DuckDB's quantile_disc. */
export const PERCENTILES = [0.25, 0.5, 0.75, 0.95] as const;

export { ALL_GENRES } from './analytics-contract.js';
export type { HistogramBin, DistributionRow, TopNPeriod, TopNRow, TrendingRow } from './analytics-contract.js';

export type AnalyticsPart = 'distributions' | 'topn' | 'trending';

export interface PartManifest {
  rows: number;
  duration_ms: number;
  /** Relative to the analytics directory. */
  path: string;
  partitioned_by: string[];
  files: number;
}

export interface TrendingWindows {
  window_ms: number;
  /** ISO times; null when the range holds no rating. */
  current_start: string | null;
  current_end: string | null;
  previous_start: string | null;
}

export interface AnalyticsManifest {
  version: 1;
  /** Changes with every run (readers cache by it). */
  run_id: string;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  input: {
    /** The requested event-time range [since, until); null for no bound. */
    since: string | null;
    until: string | null;
    ratings: number;
    first_event_time: string | null;
    last_event_time: string | null;
    catalogue_movies: number;
  };
  options: {
    top_n: number;
    trending_window_ms: number;
    trending_min_ratings: number;
    trending_limit: number;
  };
  parts: Record<AnalyticsPart, PartManifest> & { trending: PartManifest & TrendingWindows; topn: PartManifest & { hour_rows: number; day_rows: number; hours: number; days: number } };
  /** Present when the run verified the stream results. */
  verify: VerifySummary | null;
}

// -------------------------------------------------------------------------------------------
// Verification of the stream results.

export type VerifyMismatchKind =
  /** The stream counted more ratings in a window than the raw lake holds for it. */
  | 'count_exceeds_lake'
  /** Up to a window's end, the stream accounted for (counted + late) more ratings than the lake holds. */
  | 'stream_exceeds_lake'
  /** Ratings in the lake that no final result counts, as on time or late. */
  | 'unaccounted_ratings'
  /** avg / p50 / p95 of a window without late ratings differ from the raw ratings'. */
  | 'avg_rating'
  | 'p50_rating'
  | 'p95_rating'
  /** Two final results for one window (the pipeline reprocessed its input?). */
  | 'duplicate_final'
  /** A final result whose window is not a whole, aligned minute (tumbling) or 5 minutes (sliding). */
  | 'malformed_window'
  /** A sliding_5min count differs from the sum of the tumbling_1min counts of its minutes. */
  | 'sliding_count';

export interface VerifyMismatch {
  kind: VerifyMismatchKind;
  window_type: string;
  /** ISO times of the window (or of the span concerned). */
  window_start: string;
  window_end: string;
  stream: number | null;
  batch: number | null;
  message: string;
}

export interface VerifySummary {
  ok: boolean;
  /** Final tumbling_1min results within the range. */
  windows: number;
  /** … whose count equals the raw ratings with event time in the window. */
  windows_equal: number;
  /** … with more raw ratings than the count: late ratings (checked by the balance). */
  windows_with_late: number;
  /** Windows without late ratings whose avg, p50 and p95 were compared with the raw ratings'. */
  windows_stats_compared: number;
  sliding_windows: number;
  /**
   * Totals over the covered span [span_start, span_end): span_end is the end of the last final
   * window in range, span_start the start of the range (unbounded without --since).
   */
  totals: {
    span_start: string | null;
    span_end: string | null;
    stream_count: number;
    late_events: number;
    raw_ratings: number;
    /** Late ratings before span_start not yet attributed there / before span_end not yet attributed there. */
    late_in_flight_at_start: number;
    late_in_flight_at_end: number;
    /** stream_count + late_events === raw_ratings. */
    equal: boolean;
  };
  mismatch_count: number;
  /** The first 100 mismatches. */
  mismatches: VerifyMismatch[];
  notes: string[];
}

// -------------------------------------------------------------------------------------------
// The run.

export interface AnalyticsOptions {
  dataDir: string;
  /** Event-time range [sinceMs, untilMs). */
  sinceMs?: number | null;
  untilMs?: number | null;
  verify?: boolean;
  /** Default 24 h. */
  trendingWindowMs?: number;
  /** Default 50. */
  topN?: number;
  /** Default 5. */
  trendingMinRatings?: number;
  /** Default 200. */
  trendingLimit?: number;
  /** DuckDB threads (default one per core). */
  threads?: number;
  onProgress?: (event: AnalyticsProgress) => void;
}

export type AnalyticsStep = 'input' | AnalyticsPart | 'verify' | 'publish';

export type AnalyticsProgress =
  | { step: AnalyticsStep; phase: 'start' }
  | { step: AnalyticsStep; phase: 'done'; durationMs: number; rows: number; detail: string };

export interface AnalyticsSummary {
  manifest: AnalyticsManifest;
  /** Where the outputs are (`<data-dir>/lake/analytics`). */
  outputDir: string;
  /** Duration per step, including input and publish. */
  steps: { step: AnalyticsStep; duration_ms: number; rows: number; detail: string }[];
  verify: VerifySummary | null;
  warnings: string[];
}
