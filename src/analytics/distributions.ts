/**
 * Rating distributions, globally (genre `(all)`) and per genre: the count and share of each
 * rating value, distinct users and movies, mean, population standard deviation and the
 * percentiles p25/p50/p75/p95 as DuckDB's `quantile_disc` defines them.
 *
 * Two scans of the raw ratings, whatever the number of genres:
 * - `(movieId, rating) → count`: every genre's histogram follows by joining ~movies × 10 rows
 *   with the catalogue (a rating of a movie with several genres counts in each), and from a
 *   histogram the exact mean, variance and quantile_disc (see `quantileSql`);
 * - `userId → bit_or(genre bits of the movies rated)`: distinct users per genre without
 *   multiplying 20M rows by the genres (a plain join + count(DISTINCT) beyond 63 genres).
 *
 * Movies missing from the catalogue count under `(unknown)`. Every catalogue genre gets a row,
 * with 0 ratings (null statistics, shares 0) when none of its movies was rated in the range.
 */
import { quotedString } from '@duckdb/node-api';
import type { AnalyticsDb } from './analytics-db.js';
import { UNKNOWN_GENRE } from './analytics-db.js';
import { ALL_GENRES, PERCENTILES, RATING_VALUES } from './types.js';

/** The table holding the result (one row per genre), in the layout of `DistributionRow`. */
export const DISTRIBUTIONS_TABLE = 'out_distributions';

/** Genres beyond this many are counted with a join instead of bit masks (BIGINT: 63 usable bits). */
const MAX_MASK_GENRES = 63;

export async function computeDistributions(db: AnalyticsDb): Promise<{ rows: number; genres: number }> {
  await db.run(`
    CREATE OR REPLACE TEMP TABLE movie_hist AS
      SELECT movieId, rating, count(*) AS n FROM ratings GROUP BY ALL;
    CREATE OR REPLACE TEMP TABLE rated_movie_genres AS
      SELECT DISTINCT h.movieId, coalesce(g.genre, ${quotedString(UNKNOWN_GENRE)}) AS genre
      FROM (SELECT DISTINCT movieId FROM movie_hist) h LEFT JOIN movie_genres g USING (movieId);
    CREATE OR REPLACE TEMP TABLE genre_names AS
      SELECT genre, (row_number() OVER (ORDER BY genre) - 1)::INTEGER AS bit
      FROM (SELECT genre FROM movie_genres UNION SELECT genre FROM rated_movie_genres);
  `);
  const [{ genres }] = await db.query<{ genres: number }>('SELECT count(*) AS genres FROM genre_names');
  if (genres! <= MAX_MASK_GENRES) {
    await db.run(`
      CREATE OR REPLACE TEMP TABLE movie_mask AS
        SELECT movieId, bit_or(1::BIGINT << bit) AS mask FROM rated_movie_genres JOIN genre_names USING (genre) GROUP BY movieId;
      CREATE OR REPLACE TEMP TABLE user_mask AS
        SELECT r.userId, bit_or(m.mask) AS mask FROM ratings r JOIN movie_mask m USING (movieId) GROUP BY r.userId;
      CREATE OR REPLACE TEMP TABLE genre_users AS
        SELECT ${quotedString(ALL_GENRES)} AS genre, count(*) AS users FROM user_mask
        UNION ALL
        SELECT g.genre, count(u.userId) AS users
        FROM genre_names g LEFT JOIN user_mask u ON (u.mask & (1::BIGINT << g.bit)) <> 0
        GROUP BY g.genre;
    `);
  } else {
    await db.run(`
      CREATE OR REPLACE TEMP TABLE genre_users AS
        SELECT ${quotedString(ALL_GENRES)} AS genre, count(DISTINCT userId) AS users FROM ratings
        UNION ALL
        SELECT coalesce(g.genre, ${quotedString(UNKNOWN_GENRE)}) AS genre, count(DISTINCT r.userId) AS users
        FROM ratings r LEFT JOIN movie_genres g USING (movieId) GROUP BY 1;
    `);
  }
  const values = RATING_VALUES.map((v) => `(${v}::DOUBLE)`).join(', ');
  const percentiles = PERCENTILES.map((q) => `${quantileSql(q)} AS p${Math.round(q * 100)}`).join(',\n        ');
  await db.run(`
    CREATE OR REPLACE TEMP TABLE genre_hist AS
      SELECT ${quotedString(ALL_GENRES)} AS genre, rating, sum(n)::BIGINT AS n FROM movie_hist GROUP BY ALL
      UNION ALL
      SELECT g.genre, h.rating, sum(h.n)::BIGINT AS n FROM movie_hist h JOIN rated_movie_genres g USING (movieId) GROUP BY ALL;
    CREATE OR REPLACE TEMP TABLE genre_cum AS
      SELECT genre, rating, n,
        sum(n) OVER (PARTITION BY genre ORDER BY rating ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
        sum(n) OVER (PARTITION BY genre) AS total
      FROM genre_hist;
    CREATE OR REPLACE TEMP TABLE genre_stats AS
      SELECT genre,
        sum(n)::BIGINT AS ratings,
        -- Ratings are halves: a = 2 × rating is an integer, so these sums are exact.
        sum(n * CAST(2 * rating AS BIGINT))::HUGEINT AS sa,
        sum(n * CAST(4 * rating * rating AS BIGINT))::HUGEINT AS sa2,
        ${percentiles}
      FROM genre_cum GROUP BY genre;
    CREATE OR REPLACE TEMP TABLE ${DISTRIBUTIONS_TABLE} AS
      WITH genres AS (
        SELECT ${quotedString(ALL_GENRES)} AS genre UNION SELECT genre FROM genre_names
      ), bins AS (
        SELECT g.genre, v.rating, coalesce(h.n, 0)::BIGINT AS n
        FROM genres g CROSS JOIN (VALUES ${values}) v(rating) LEFT JOIN genre_hist h ON h.genre = g.genre AND h.rating = v.rating
      ), hist AS (
        SELECT genre,
          list({'rating': rating, 'count': n, 'share': CASE WHEN total = 0 THEN 0::DOUBLE ELSE (n / total)::DOUBLE END, 'percentage': CASE WHEN total = 0 THEN 0::DOUBLE ELSE (100 * n / total)::DOUBLE END} ORDER BY rating) AS histogram
        FROM (SELECT *, sum(n) OVER (PARTITION BY genre) AS total FROM bins)
        GROUP BY genre
      )
      SELECT g.genre,
        coalesce(s.ratings, 0)::BIGINT AS ratings,
        coalesce(u.users, 0)::BIGINT AS users,
        coalesce(m.movies, 0)::BIGINT AS movies,
        CASE WHEN s.ratings > 0 THEN s.sa::DOUBLE / (2 * s.ratings) END AS mean,
        -- Population variance (n·Σa² − (Σa)²) / (4n²): the numerator in exact HUGEINT arithmetic.
        CASE WHEN s.ratings > 0 THEN sqrt(greatest(0, (s.ratings::HUGEINT * s.sa2 - s.sa * s.sa)::DOUBLE) / (4.0 * s.ratings * s.ratings)) END AS stddev,
        s.p25, s.p50, s.p75, s.p95,
        h.histogram
      FROM genres g
      JOIN hist h USING (genre)
      LEFT JOIN genre_stats s USING (genre)
      LEFT JOIN genre_users u USING (genre)
      LEFT JOIN (
        SELECT ${quotedString(ALL_GENRES)} AS genre, count(DISTINCT movieId) AS movies FROM movie_hist
        UNION ALL SELECT genre, count(*) AS movies FROM rated_movie_genres GROUP BY genre
      ) m USING (genre);
  `);
  const [{ rows }] = await db.query<{ rows: number }>(`SELECT count(*) AS rows FROM ${DISTRIBUTIONS_TABLE}`);
  return { rows: rows!, genres: rows! - 1 };
}

/**
 * quantile_disc(rating, q) from a cumulative histogram (columns rating, cum, total): the value at
 * 0-based sorted position max(1, ceil(total·q)) − 1, i.e. the smallest rating whose cumulative
 * count exceeds that position. q is a DECIMAL literal, so ceil(total·q) is exact (as in DuckDB and
 * in the stream's histogram quantiles, src/engine/aggregates/quantile-rank.ts).
 */
function quantileSql(q: number): string {
  if (!(q > 0 && q <= 1)) throw new Error(`quantile ${q} out of range`);
  return `min(rating) FILTER (WHERE n > 0 AND cum > greatest(1, ceil(total::BIGINT * ${String(q)})) - 1)`;
}
