/**
 * The DuckDB database batch analytics runs in: an in-memory instance with views over the Parquet
 * lake (`ratings` — raw ratings within the requested event-time range —, `ratings_all`,
 * `ratings_agg`) and the movie catalogue as tables (`movies`, `movie_genres`).
 */
import { existsSync } from 'node:fs';
import { LIST, VARCHAR, quotedIdentifier, quotedString, type DuckDBConnection, type Json } from '@duckdb/node-api';
import { hasParquet, jsonSafe, openMemoryDuckDB } from '../lake/duckdb-common.js';
import { lakeTableDir } from '../lake/lake-table.js';
import { lakeViewSql } from '../lake/lake-query.js';
import { RATINGS_AGG_LAYOUT, RATINGS_RAW_LAYOUT } from '../movies/ratings-lake-layout.js';
import { loadCatalogue } from '../movies/catalogue.js';
import { cataloguePath } from '../movies/catalogue-store.js';
import { UNKNOWN_GENRE } from '../movies/movie.js';

/** An event-time range [sinceMs, untilMs); null for no bound. */
export interface TimeRange {
  sinceMs: number | null;
  untilMs: number | null;
}

export type Row = Record<string, Json>;

export interface AnalyticsDb {
  readonly connection: DuckDBConnection;
  readonly dataDir: string;
  readonly range: TimeRange;
  /** Whether the raw and agg lake tables have any Parquet file. */
  readonly hasRaw: boolean;
  readonly hasAgg: boolean;
  /** Movies in the catalogue (0 when the data dir has none: every rating is then `(unknown)`). */
  readonly catalogueMovies: number;
  /** Runs SQL (several statements allowed). */
  run(sql: string): Promise<void>;
  /** Runs SQL and returns the last statement's rows, JSON-safe (see `jsonSafe`). */
  query<T = Row>(sql: string): Promise<T[]>;
  close(): void;
}

/** What a movie missing from the catalogue is listed under (the stream uses the same). */
export { UNKNOWN_GENRE, hasParquet, jsonSafe };

export interface OpenAnalyticsDbOptions {
  /** DuckDB threads (default: DuckDB's, one per core). */
  threads?: number;
}

export async function openAnalyticsDb(dataDir: string, range: TimeRange, options: OpenAnalyticsDbOptions = {}): Promise<AnalyticsDb> {
  const { instance, connection } = await openMemoryDuckDB();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    const rawDir = lakeTableDir(dataDir, RATINGS_RAW_LAYOUT);
    const aggDir = lakeTableDir(dataDir, RATINGS_AGG_LAYOUT);
    const hasRaw = hasParquet(rawDir);
    const hasAgg = hasParquet(aggDir);
    const settings = ["SET TimeZone = 'UTC'", 'SET preserve_insertion_order = false'];
    if (options.threads !== undefined) settings.push(`SET threads = ${Math.max(1, Math.floor(options.threads))}`);
    await connection.run(settings.join(';\n'));
    await connection.run(`CREATE VIEW ratings_all AS ${lakeViewSql(RATINGS_RAW_LAYOUT, hasRaw ? rawDir : null)}`);
    await connection.run(`CREATE VIEW ratings AS SELECT * FROM ratings_all WHERE ${rangeFilter(range)}`);
    await connection.run(`CREATE VIEW ratings_agg AS ${lakeViewSql(RATINGS_AGG_LAYOUT, hasAgg ? aggDir : null)}`);
    const catalogueMovies = await loadMovies(connection, dataDir);
    return {
      connection,
      dataDir,
      range,
      hasRaw,
      hasAgg,
      catalogueMovies,
      run: async (sql) => void (await connection.run(sql)),
      query: async <T = Row>(sql: string) => {
        const reader = await connection.runAndReadAll(sql, []);
        return reader.convertRowObjects(jsonSafe) as T[];
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * SQL condition on a raw-ratings relation for the range: on the event time (`timestamp`, epoch ms)
 * and, so DuckDB skips whole directories, on the `date` Hive key.
 */
export function rangeFilter(range: TimeRange, alias = ''): string {
  const col = (name: string) => (alias ? `${alias}.${quotedIdentifier(name)}` : quotedIdentifier(name));
  const parts: string[] = [];
  if (range.sinceMs !== null) {
    parts.push(`${col('timestamp')} >= ${sqlInt(range.sinceMs)}`, `${col('date')} >= ${sqlDate(range.sinceMs)}`);
  }
  if (range.untilMs !== null) {
    parts.push(`${col('timestamp')} < ${sqlInt(range.untilMs)}`, `${col('date')} <= ${sqlDate(range.untilMs)}`);
  }
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}

/** An integer literal (throws on anything else: values go into SQL text). */
export function sqlInt(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** The UTC date of an epoch ms as a DATE literal. */
export function sqlDate(ms: number): string {
  return `DATE ${quotedString(new Date(ms).toISOString().slice(0, 10))}`;
}

/** A TIMESTAMP literal for an epoch ms. */
export function sqlTimestamp(ms: number): string {
  return `epoch_ms(${sqlInt(ms)}::BIGINT)`;
}


/**
 * `movies(movieId, title, genres VARCHAR[])` and `movie_genres(movieId, genre)` from the data
 * dir's catalogue, read with the same parser the pipeline uses (so genres match the stream's:
 * a movie without genres is under `(no genres listed)`). Returns the number of movies.
 */
async function loadMovies(connection: DuckDBConnection, dataDir: string): Promise<number> {
  await connection.run('CREATE TABLE movies (movieId INTEGER PRIMARY KEY, title VARCHAR NOT NULL, genres VARCHAR[] NOT NULL)');
  const path = cataloguePath(dataDir);
  let count = 0;
  if (existsSync(path)) {
    const catalogue = await loadCatalogue(path);
    const appender = await connection.createAppender('movies');
    const genresType = LIST(VARCHAR);
    try {
      for (const movie of catalogue.all()) {
        // The raw lake stores movie ids as INTEGER: a larger id can never be rated.
        if (movie.movieId > 2_147_483_647) continue;
        appender.appendInteger(movie.movieId);
        appender.appendVarchar(movie.title);
        appender.appendList(movie.genres.length > 0 ? movie.genres : [UNKNOWN_GENRE], genresType);
        appender.endRow();
        count++;
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
  await connection.run('CREATE TABLE movie_genres AS SELECT movieId, unnest(genres) AS genre FROM movies');
  return count;
}

/** Whether dir holds a Parquet file at any depth. */
