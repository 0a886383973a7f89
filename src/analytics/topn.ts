/**
 * The top movies of every UTC hour and day of the range by score = rating count × average rating
 * (the sum of the ratings: exact, ratings being halves), ties broken by movie id ascending — the
 * stream's top-N order. One scan: ratings → (hour, movie) → count, sum; days add up their hours.
 * An hour without ratings has no rows.
 */
import { quotedString } from '@duckdb/node-api';
import type { AnalyticsDb } from './analytics-db.js';
import { UNKNOWN_GENRE } from './analytics-db.js';

/** The table holding the result, in the layout of `TopNRow` plus the Hive key `date` (DATE). */
export const TOPN_TABLE = 'out_topn';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface TopNStats {
  rows: number;
  hourRows: number;
  dayRows: number;
  hours: number;
  days: number;
}

export async function computeTopN(db: AnalyticsDb, n: number): Promise<TopNStats> {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`top-N: n must be a positive integer, got ${n}`);
  await db.run(`
    CREATE OR REPLACE TEMP TABLE hour_movie AS
      -- The hour from the Hive keys (the lake derives them from the event time): no timestamp column to read.
      SELECT (date - DATE '1970-01-01') * 24 + hour AS hour_idx, movieId, count(*) AS n, sum(rating) AS s FROM ratings GROUP BY ALL;
    CREATE OR REPLACE TEMP TABLE ${TOPN_TABLE} AS
      WITH ranked AS (
        SELECT 'hour' AS period, hour_idx * ${HOUR_MS} AS start_ms, ${HOUR_MS} AS len_ms, movieId, n, s,
          row_number() OVER (PARTITION BY hour_idx ORDER BY s DESC, movieId ASC) AS rank
        FROM hour_movie
        QUALIFY rank <= ${n}
        UNION ALL
        SELECT 'day' AS period, day_idx * ${DAY_MS} AS start_ms, ${DAY_MS} AS len_ms, movieId, n, s,
          row_number() OVER (PARTITION BY day_idx ORDER BY s DESC, movieId ASC) AS rank
        FROM (SELECT hour_idx // 24 AS day_idx, movieId, sum(n) AS n, sum(s) AS s FROM hour_movie GROUP BY ALL)
        QUALIFY rank <= ${n}
      )
      SELECT r.period,
        CAST(epoch_ms(r.start_ms) AS DATE) AS date,
        epoch_ms(r.start_ms) AS period_start,
        epoch_ms(r.start_ms + r.len_ms) AS period_end,
        r.rank::INTEGER AS rank,
        r.movieId,
        coalesce(m.title, 'movie ' || r.movieId) AS title,
        coalesce(m.genres, [${quotedString(UNKNOWN_GENRE)}]) AS genres,
        r.n::BIGINT AS rating_count,
        r.s / r.n AS avg_rating,
        r.s AS score
      FROM ranked r LEFT JOIN movies m USING (movieId);
  `);
  const [stats] = await db.query<TopNStats>(`
    SELECT count(*) AS rows,
      count(*) FILTER (WHERE period = 'hour') AS "hourRows",
      count(*) FILTER (WHERE period = 'day') AS "dayRows",
      count(DISTINCT period_start) FILTER (WHERE period = 'hour') AS hours,
      count(DISTINCT period_start) FILTER (WHERE period = 'day') AS days
    FROM ${TOPN_TABLE}`);
  return stats!;
}
