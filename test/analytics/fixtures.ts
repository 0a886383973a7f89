/**
 * Test data for analytics — ratings written to the raw lake through the real log and LakeSink, a
 * catalogue in the data dir — and brute-force TypeScript versions of every output.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { jsonSafe } from '../../src/analytics/analytics-db.js';
import { ALL_GENRES, PERCENTILES, RATING_VALUES, type DistributionRow, type TopNRow, type TrendingRow } from '../../src/analytics/types.js';
import { ratingsRawSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { cataloguePath, formatMoviesCsv } from '../../src/movies/catalogue-store.js';
import type { Movie } from '../../src/movies/movie.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec, type Rating } from '../../src/movies/rating-event.js';

export const UNKNOWN = '(unknown)';
const HOUR = 3_600_000;
const DAY = 86_400_000;

export function writeCatalogue(dataDir: string, movies: Movie[]): void {
  const path = cataloguePath(dataDir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, formatMoviesCsv(movies));
}

/** Appends the ratings to the log's ratings topic (keyed by user) and runs the raw lake sink over them. */
export async function writeRawLake(dataDir: string, ratings: Rating[]): Promise<void> {
  const log = openEmbeddedLog({ dataDir });
  try {
    await log.ensureTopic(RATINGS_TOPIC, { partitions: RATINGS_PARTITIONS });
    const producer = log.producer();
    for (let i = 0; i < ratings.length; i += 5000) {
      await producer.send(
        RATINGS_TOPIC,
        ratings.slice(i, i + 5000).map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r), timestamp: r.timestamp })),
      );
    }
    const sink = ratingsRawSink({ log, dataDir });
    try {
      await sink.runOnce();
    } finally {
      await sink.close();
    }
  } finally {
    await log.close();
  }
}

/** Runs SQL in a fresh in-memory DuckDB; JSON-safe rows. */
export async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const reader = await connection.runAndReadAll(sql, []);
    return reader.convertRowObjects(jsonSafe) as T[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// Brute force.

export function inRange(r: Rating, sinceMs: number | null, untilMs: number | null): boolean {
  return (sinceMs === null || r.timestamp >= sinceMs) && (untilMs === null || r.timestamp < untilMs);
}

/** quantile_disc over sorted values: x[max(1, ceil(n·q)) − 1], in integer arithmetic (q in hundredths). */
export function quantileDisc(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const hundredths = Math.round(q * 100);
  const rank = Math.floor((sorted.length * hundredths + 99) / 100);
  return sorted[Math.max(1, rank) - 1]!;
}

export function bruteDistributions(ratings: Rating[], movies: Movie[]): DistributionRow[] {
  const genresOf = new Map(movies.map((m) => [m.movieId, m.genres]));
  const groups = new Map<string, Rating[]>([[ALL_GENRES, []]]);
  for (const m of movies) for (const g of m.genres) if (!groups.has(g)) groups.set(g, []);
  for (const r of ratings) {
    groups.get(ALL_GENRES)!.push(r);
    for (const g of genresOf.get(r.movieId) ?? [UNKNOWN]) {
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g)!.push(r);
    }
  }
  const rows: DistributionRow[] = [];
  for (const [genre, rs] of groups) {
    const values = rs.map((r) => r.rating).sort((a, b) => a - b);
    const n = values.length;
    const mean = n === 0 ? null : values.reduce((s, x) => s + x, 0) / n;
    const stddev = n === 0 ? null : Math.sqrt(values.reduce((s, x) => s + (x - mean!) ** 2, 0) / n);
    const q = Object.fromEntries(PERCENTILES.map((p) => [`p${Math.round(p * 100)}`, quantileDisc(values, p)])) as Record<'p25' | 'p50' | 'p75' | 'p95', number | null>;
    rows.push({
      genre,
      ratings: n,
      users: new Set(rs.map((r) => r.userId)).size,
      movies: new Set(rs.map((r) => r.movieId)).size,
      mean,
      stddev,
      ...q,
      histogram: RATING_VALUES.map((v) => {
        const count = values.filter((x) => x === v).length;
        return { rating: v, count, share: n === 0 ? 0 : count / n, percentage: n === 0 ? 0 : (100 * count) / n };
      }),
    });
  }
  return rows.sort((a, b) => Number(a.genre !== ALL_GENRES) - Number(b.genre !== ALL_GENRES) || (a.genre < b.genre ? -1 : a.genre > b.genre ? 1 : 0));
}

interface Score {
  movieId: number;
  n: number;
  s: number;
}

/** Movies by score (sum of ratings) descending, ties by movie id ascending. */
export function ranking(ratings: Rating[]): Score[] {
  const by = new Map<number, Score>();
  for (const r of ratings) {
    const e = by.get(r.movieId) ?? { movieId: r.movieId, n: 0, s: 0 };
    e.n++;
    e.s += r.rating;
    by.set(r.movieId, e);
  }
  return [...by.values()].sort((a, b) => b.s - a.s || a.movieId - b.movieId);
}

export function bruteTopN(ratings: Rating[], movies: Movie[], n: number): TopNRow[] {
  const byId = new Map(movies.map((m) => [m.movieId, m]));
  const out: TopNRow[] = [];
  for (const period of ['hour', 'day'] as const) {
    const len = period === 'hour' ? HOUR : DAY;
    const buckets = new Map<number, Rating[]>();
    for (const r of ratings) {
      const start = Math.floor(r.timestamp / len) * len;
      if (!buckets.has(start)) buckets.set(start, []);
      buckets.get(start)!.push(r);
    }
    for (const [start, rs] of [...buckets].sort((a, b) => a[0] - b[0])) {
      ranking(rs)
        .slice(0, n)
        .forEach((e, i) => {
          const m = byId.get(e.movieId);
          out.push({
            period,
            period_start: new Date(start).toISOString(),
            period_end: new Date(start + len).toISOString(),
            rank: i + 1,
            movieId: e.movieId,
            title: m?.title ?? `movie ${e.movieId}`,
            genres: m?.genres ?? [UNKNOWN],
            rating_count: e.n,
            avg_rating: e.s / e.n,
            score: e.s,
          });
        });
    }
  }
  return out;
}

export function bruteTrending(ratings: Rating[], movies: Movie[], endMs: number, windowMs: number, minRatings = 5, limit = 200): TrendingRow[] {
  const byId = new Map(movies.map((m) => [m.movieId, m]));
  const cur = ranking(ratings.filter((r) => r.timestamp >= endMs - windowMs && r.timestamp < endMs));
  const prev = ranking(ratings.filter((r) => r.timestamp >= endMs - 2 * windowMs && r.timestamp < endMs - windowMs));
  const prevRank = new Map(prev.map((e, i) => [e.movieId, { rank: i + 1, ...e }]));
  const out: TrendingRow[] = [];
  cur.forEach((e, i) => {
    const rank = i + 1;
    const p = prevRank.get(e.movieId);
    if (e.n < minRatings || (p !== undefined && p.rank <= rank)) return;
    const m = byId.get(e.movieId);
    out.push({
      rank,
      movieId: e.movieId,
      title: m?.title ?? `movie ${e.movieId}`,
      genres: m?.genres ?? [UNKNOWN],
      rating_count: e.n,
      avg_rating: e.s / e.n,
      score: e.s,
      previous_rank: p?.rank ?? null,
      previous_count: p?.n ?? 0,
      previous_score: p?.s ?? 0,
      rank_delta: (p === undefined ? Math.max(cur.length, prev.length) + 1 : p.rank) - rank,
      is_new: p === undefined,
      window_start: new Date(endMs - windowMs).toISOString(),
      window_end: new Date(endMs).toISOString(),
    });
  });
  return out.slice(0, limit);
}

/** Asserts two numbers are equal to a relative 1e-12 (sums in another order). */
export function close(a: number | null, b: number | null, what: string): void {
  if (a === null || b === null) {
    if (a !== b) throw new Error(`${what}: ${a} vs ${b}`);
    return;
  }
  if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(b))) throw new Error(`${what}: ${a} vs ${b}`);
}
