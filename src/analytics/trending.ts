/**
 * Trending movies: the ranking by score (rating count × average = sum of ratings; ties by movie
 * id ascending) in the latest window — [end − W, end), end = the range's `until`, else just after
 * the newest event time in range — against the window before it, [end − 2W, end − W).
 *
 * Both rankings cover every movie rated in their window (row_number: no shared ranks). A movie is
 * listed when it has at least `minRatings` ratings in the current window and either rose
 * (rank_delta = previous_rank − rank > 0) or is new (no rating in the previous window: `is_new`,
 * previous_rank null). A new entry's rank_delta counts as if it came from one place below the
 * longer of the two rankings (max(movies ranked now, movies ranked before) + 1 − rank ≥ 1), so
 * `ORDER BY rank_delta DESC` and `WHERE rank_delta > 0` keep new entries, as the Spark job's did.
 * The minimum applies to new entries too. A movie
 * rated only in the previous window has no current rank and is never listed. The first `limit`
 * rows by current rank are kept. Ratings outside the range (before --since) are not seen, so a
 * range shorter than 2W leaves the previous window partly or wholly empty.
 */
import { quotedString } from '@duckdb/node-api';
import type { AnalyticsDb } from './analytics-db.js';
import { UNKNOWN_GENRE, sqlDate, sqlInt } from './analytics-db.js';

/** The table holding the result, in the layout of `TrendingRow`. */
export const TRENDING_TABLE = 'out_trending';

export interface TrendingOptions {
  windowMs: number;
  /** Exclusive end of the current window; null when the range holds no rating (empty result). */
  endMs: number | null;
  minRatings: number;
  limit: number;
}

export interface TrendingStats {
  rows: number;
  newEntries: number;
  currentStartMs: number | null;
  previousStartMs: number | null;
}

export async function computeTrending(db: AnalyticsDb, options: TrendingOptions): Promise<TrendingStats> {
  const { windowMs, endMs, minRatings, limit } = options;
  if (!(Number.isSafeInteger(windowMs) && windowMs > 0)) throw new Error(`trending: the window must be a positive number of ms, got ${windowMs}`);
  const curStart = endMs === null ? null : endMs - windowMs;
  const prevStart = endMs === null ? null : endMs - 2 * windowMs;
  const inWindows =
    endMs === null
      ? 'false'
      : `timestamp >= ${sqlInt(prevStart!)} AND timestamp < ${sqlInt(endMs)} AND date >= ${sqlDate(Math.max(0, prevStart!))} AND date <= ${sqlDate(endMs)}`;
  const cur = endMs === null ? 'false' : `timestamp >= ${sqlInt(curStart!)}`;
  await db.run(`
    CREATE OR REPLACE TEMP TABLE trend_counts AS
      SELECT movieId,
        count(*) FILTER (WHERE ${cur}) AS n_cur,
        coalesce(sum(rating) FILTER (WHERE ${cur}), 0) AS s_cur,
        count(*) FILTER (WHERE NOT (${cur})) AS n_prev,
        coalesce(sum(rating) FILTER (WHERE NOT (${cur})), 0) AS s_prev
      FROM ratings WHERE ${inWindows} GROUP BY movieId;
    CREATE OR REPLACE TEMP TABLE ${TRENDING_TABLE} AS
      WITH cur AS (
        SELECT movieId, n_cur AS n, s_cur AS s, row_number() OVER (ORDER BY s_cur DESC, movieId ASC) AS rank
        FROM trend_counts WHERE n_cur > 0
      ), prev AS (
        SELECT movieId, n_prev, s_prev, row_number() OVER (ORDER BY s_prev DESC, movieId ASC) AS previous_rank
        FROM trend_counts WHERE n_prev > 0
      )
      SELECT c.rank::INTEGER AS rank,
        c.movieId,
        coalesce(m.title, 'movie ' || c.movieId) AS title,
        coalesce(m.genres, [${quotedString(UNKNOWN_GENRE)}]) AS genres,
        c.n::BIGINT AS rating_count,
        c.s / c.n AS avg_rating,
        c.s AS score,
        p.previous_rank::INTEGER AS previous_rank,
        coalesce(p.n_prev, 0)::BIGINT AS previous_count,
        coalesce(p.s_prev, 0)::DOUBLE AS previous_score,
        (coalesce(p.previous_rank, (SELECT greatest(count(*) FILTER (WHERE n_cur > 0), count(*) FILTER (WHERE n_prev > 0)) + 1 FROM trend_counts)) - c.rank)::INTEGER AS rank_delta,
        p.previous_rank IS NULL AS is_new,
        ${endMs === null ? 'NULL::TIMESTAMP' : `epoch_ms(${sqlInt(curStart!)}::BIGINT)`} AS window_start,
        ${endMs === null ? 'NULL::TIMESTAMP' : `epoch_ms(${sqlInt(endMs)}::BIGINT)`} AS window_end
      FROM cur c
      LEFT JOIN prev p USING (movieId)
      LEFT JOIN movies m USING (movieId)
      WHERE c.n >= ${sqlInt(minRatings)} AND (p.previous_rank IS NULL OR p.previous_rank > c.rank)
      ORDER BY c.rank
      LIMIT ${sqlInt(limit)};
  `);
  const [stats] = await db.query<{ rows: number; new_entries: number }>(
    `SELECT count(*) AS rows, count(*) FILTER (WHERE is_new) AS new_entries FROM ${TRENDING_TABLE}`,
  );
  return { rows: stats!.rows, newEntries: stats!.new_entries, currentStartMs: curStart, previousStartMs: prevStart };
}
