/**
 * Reads the published analytics outputs for the HTTP routes: JSON-safe rows (numbers, ISO time
 * strings, arrays), cached until the next run replaces the outputs (the manifest's run id).
 * Before the first run every method throws `NoAnalyticsError` ("no analytics yet: run
 * `streamrec analytics`"; HTTP 404).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, quotedString, type DuckDBConnection } from '@duckdb/node-api';
import { StreamrecError, StreamrecRangeError } from '../util/errors.js';
import { jsonSafe, sqlInt } from './analytics-db.js';
import { analyticsDir, readManifest } from './outputs.js';
import type { AnalyticsManifest, DistributionRow, TopNPeriod, TrendingRow } from './types.js';
import { ALL_GENRES } from './types.js';

/** No published analytics yet (code `no-analytics`, HTTP 404). */
export class NoAnalyticsError extends StreamrecError {
  override name = 'NoAnalyticsError';
  constructor(message = 'no analytics yet: run `streamrec analytics`') {
    super(message, { code: 'no-analytics', status: 404 });
  }
}

/**
 * A bad argument to a reader method (code `bad-analytics-query`, HTTP 400). Still a RangeError:
 * the reader's retry and its callers tell bad arguments apart by that.
 */
export class AnalyticsQueryError extends StreamrecRangeError {
  override name = 'AnalyticsQueryError';
  constructor(message: string) {
    super(message, { code: 'bad-analytics-query', status: 400 });
  }
}

export type { TopNResult, TrendingResult } from './analytics-contract.js';
import type { TopNResult, TrendingResult } from './analytics-contract.js';

export interface AnalyticsReader {
  /** The published run's manifest, or null before the first run. */
  manifest(): AnalyticsManifest | null;
  /** Every genre's distribution, `(all)` first then by name; with a genre, its row only ([] if none). */
  distributions(genre?: string): Promise<DistributionRow[]>;
  /** The top movies of the hour or day containing `at` (ISO time), by default the latest one with ratings. */
  topn(period: TopNPeriod, at?: string): Promise<TopNResult>;
  /** The first `limit` trending movies by current rank (default all, at most the run's limit). */
  trending(limit?: number): Promise<TrendingResult>;
  close(): void;
}

const PERIOD_MS: Record<TopNPeriod, number> = { hour: 3_600_000, day: 86_400_000 };

export async function readAnalytics(dataDir: string): Promise<AnalyticsReader> {
  const root = analyticsDir(dataDir);
  let duck: { instance: DuckDBInstance; connection: DuckDBConnection } | null = null;
  let closed = false;
  const cache = new Map<string, unknown>();
  let cachedRun: string | null = null;

  const connection = async (): Promise<DuckDBConnection> => {
    if (closed) throw new Error('analytics reader: closed');
    if (duck) return duck.connection;
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run("SET TimeZone = 'UTC'");
    duck = { instance, connection: conn };
    return conn;
  };
  const query = async <T>(sql: string): Promise<T[]> => {
    const reader = await (await connection()).runAndReadAll(sql, []);
    return reader.convertRowObjects(jsonSafe) as T[];
  };
  const current = (): AnalyticsManifest => {
    const m = readManifest(dataDir);
    if (m === null) throw new NoAnalyticsError();
    if (m.run_id !== cachedRun) {
      cache.clear();
      cachedRun = m.run_id;
    }
    return m;
  };
  /** Cached per run; retried once when the outputs were swapped under the query. */
  const cached = async <T>(key: string, load: (m: AnalyticsManifest) => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const m = current();
      if (cache.has(key)) return cache.get(key) as T;
      try {
        const value = await load(m);
        if (readManifest(dataDir)?.run_id === m.run_id) cache.set(key, value);
        return value;
      } catch (err) {
        if (attempt >= 1 || err instanceof NoAnalyticsError || err instanceof RangeError) throw err;
      }
    }
  };
  const parquet = (...parts: string[]) => quotedString(join(root, ...parts));

  return {
    manifest: () => readManifest(dataDir),

    distributions: (genre) =>
      cached(`distributions:${genre ?? ''}`, async () => {
        if (!existsSync(join(root, 'distributions'))) return [];
        const where = genre === undefined ? '' : `WHERE genre = ${quotedString(genre)}`;
        return query<DistributionRow>(`
          SELECT genre, ratings, users, movies, mean, stddev, p25, p50, p75, p95, histogram
          FROM read_parquet(${parquet('distributions', '**', '*.parquet')}, hive_partitioning = true, hive_types = {'genre': VARCHAR})
          ${where}
          ORDER BY genre <> ${quotedString(ALL_GENRES)}, genre`);
      }),

    topn: (period, at) => {
      if (period !== 'hour' && period !== 'day') return Promise.reject(new AnalyticsQueryError(`period must be hour or day, got ${String(period)}`));
      const atMs = at === undefined ? null : Date.parse(at);
      if (atMs !== null && !Number.isFinite(atMs)) return Promise.reject(new AnalyticsQueryError(`at must be an ISO-8601 time, got ${JSON.stringify(at)}`));
      return cached(`topn:${period}:${atMs ?? ''}`, async (m) => {
        const len = PERIOD_MS[period];
        const ref = atMs ?? (m.input.last_event_time === null ? null : Date.parse(m.input.last_event_time));
        const result: TopNResult = { period, period_start: null, period_end: null, generated_at: m.finished_at, rows: [] };
        if (ref === null) return result;
        const start = Math.floor(ref / len) * len;
        result.period_start = new Date(start).toISOString();
        result.period_end = new Date(start + len).toISOString();
        const dir = join(root, 'topn', `period=${period}`, `date=${result.period_start.slice(0, 10)}`);
        if (!existsSync(dir)) return result;
        result.rows = await query<TopNResult['rows'][number]>(`
          SELECT rank, movieId, title, genres, rating_count, avg_rating, score
          FROM read_parquet(${quotedString(join(dir, '*.parquet'))}, hive_partitioning = false)
          WHERE period_start = epoch_ms(${sqlInt(start)}::BIGINT)
          ORDER BY rank`);
        return result;
      });
    },

    trending: (limit) => {
      if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) return Promise.reject(new AnalyticsQueryError(`limit must be a positive integer, got ${limit}`));
      return cached(`trending:${limit ?? ''}`, async (m) => {
        const t = m.parts.trending;
        const result: TrendingResult = {
          window_start: t.current_start,
          window_end: t.current_end,
          previous_window_start: t.previous_start,
          generated_at: m.finished_at,
          rows: [],
        };
        if (!existsSync(join(root, 'trending', 'data.parquet'))) return result;
        result.rows = await query<TrendingRow>(`
          SELECT rank, movieId, title, genres, rating_count, avg_rating, score, previous_rank, previous_count, previous_score, rank_delta, is_new, window_start, window_end
          FROM read_parquet(${parquet('trending', 'data.parquet')})
          ORDER BY rank ${limit === undefined ? '' : `LIMIT ${sqlInt(limit)}`}`);
        return result;
      });
    },

    close() {
      if (closed) return;
      closed = true;
      if (duck) {
        duck.connection.closeSync();
        duck.instance.closeSync();
        duck = null;
      }
    },
  };
}
