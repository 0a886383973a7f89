/**
 * The shapes batch analytics writes and the /analytics routes return: shared by the server and
 * the dashboard's analytics view, which imports these types only. No imports here, so the
 * browser build can type-check it.
 */

/** The pseudo-genre of the distribution over every rating. */
export const ALL_GENRES = '(all)';

export interface HistogramBin {
  rating: number;
  count: number;
  /** count / ratings of the genre; 0 when the genre has no ratings. */
  share: number;
  /** share × 100: the Spark job's field. */
  percentage: number;
}

/** One row of `distributions`: the ratings of one genre, or of all (`genre = '(all)'`). */
export interface DistributionRow {
  genre: string;
  ratings: number;
  /** Distinct users and movies with at least one rating in the genre. */
  users: number;
  movies: number;
  /** Null when the genre has no ratings. */
  mean: number | null;
  /** Population standard deviation (divides by n). */
  stddev: number | null;
  p25: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  /** One bin per rating value 0.5 … 5.0, in order. */
  histogram: HistogramBin[];
}

export type TopNPeriod = 'hour' | 'day';

/** One row of `topn`: a movie's place among the period's top movies by score. */
export interface TopNRow {
  period: TopNPeriod;
  /** ISO times; the period is [period_start, period_end). */
  period_start: string;
  period_end: string;
  rank: number;
  movieId: number;
  title: string;
  genres: string[];
  rating_count: number;
  avg_rating: number;
  /** rating_count × avg_rating, i.e. the sum of the ratings. */
  score: number;
}

/** One row of `trending`: a movie that rose in (or entered) the ranking of the latest window. */
export interface TrendingRow {
  /** Rank in the current window (1 = highest score); rows are in this order. */
  rank: number;
  movieId: number;
  title: string;
  genres: string[];
  rating_count: number;
  avg_rating: number;
  score: number;
  /** Null for a new entry (no rating in the previous window). */
  previous_rank: number | null;
  previous_count: number;
  previous_score: number;
  /**
   * previous_rank − rank (> 0: rose); for a new entry, max(movies ranked now, movies ranked
   * before) + 1 − rank, so it sorts among the risers (≥ 1).
   */
  rank_delta: number;
  is_new: boolean;
  window_start: string;
  window_end: string;
}

/** GET /analytics/distributions[?genre=] */
export interface DistributionsResponse {
  /** When the run finished (ISO). */
  generated_at: string | null;
  /** `(all)` first, then by genre name. */
  distributions: DistributionRow[];
}

/** GET /analytics/topn?period=hour|day[&at=] */
export interface TopNResult {
  period: TopNPeriod;
  /** The period asked for (null when the outputs hold no rating at all). */
  period_start: string | null;
  period_end: string | null;
  generated_at: string;
  /** Best first; empty for a period without ratings. */
  rows: Omit<TopNRow, 'period' | 'period_start' | 'period_end'>[];
}

/** GET /analytics/trending[?limit=] */
export interface TrendingResult {
  window_start: string | null;
  window_end: string | null;
  previous_window_start: string | null;
  generated_at: string;
  rows: TrendingRow[];
}
