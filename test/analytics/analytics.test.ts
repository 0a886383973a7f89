/**
 * Batch analytics over a real raw lake (written through the log and the LakeSink) with a real
 * DuckDB, checked output by output against brute-force TypeScript over the same ratings.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyticsCommand } from '../../src/cli/commands/analytics.js';
import { openPipelinesLake as openLakeQuery } from '../../src/pipelines/registry.js';
import { lakeDir } from '../../src/lake/lake-table.js';
import { analyticsDir, AnalyticsBusyError } from '../../src/analytics/outputs.js';
import { NoAnalyticsError, readAnalytics } from '../../src/analytics/read-analytics.js';
import { runAnalytics } from '../../src/analytics/run-analytics.js';
import type { AnalyticsSummary, DistributionRow, TopNRow, TrendingRow } from '../../src/analytics/types.js';
import type { Movie } from '../../src/movies/movie.js';
import type { Rating } from '../../src/movies/rating-event.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers/tmp.js';
import { bruteDistributions, bruteTopN, bruteTrending, close, duck, inRange, writeCatalogue, writeRawLake } from './fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2025, 10, 10);
const END = T0 + 3 * DAY;
const EMPTY_HOUR = T0 + 5 * HOUR;
const TIE_HOUR = T0 + 10 * HOUR;

/** 120 movies: 1–110 rated at random, 111–118 scripted, 119 never rated, 120 the only Western. */
function catalogue(): Movie[] {
  const rng = new Random(5);
  const genres = ['Action', 'Comedy', 'Drama', 'Sci-Fi', 'Horror', 'Film-Noir'];
  const movies: Movie[] = [];
  for (let id = 1; id <= 120; id++) {
    const g = [...new Set([genres[rng.int(0, 5)]!, genres[rng.int(0, 5)]!, genres[rng.int(0, 2)]!].slice(0, rng.int(1, 3)))].sort();
    movies.push({ movieId: id, title: `Movie ${id} (2001)`, year: 2001, genres: g });
  }
  movies[6] = { movieId: 7, title: 'Untitled, "the" Movie (1999)', year: 1999, genres: ['(no genres listed)'] };
  movies[119] = { movieId: 120, title: 'Last Ride (1950)', year: 1950, genres: ['Western'] };
  return movies;
}

/**
 * ~6,500 ratings over 3 days of event time, none in EMPTY_HOUR; movies 201–203 are missing from
 * the catalogue. Scripted: a tie at TIE_HOUR (117: 6 × 5 = 30, 118: 10 × 3 = 30) and, for the
 * trending windows [END − 2d, END − 1d) and [END − 1d, END):
 * 111 drops out, 112 is new with 6 ratings, 113 new with 4, 114 rises with 8, 115 rises with 4,
 * 116 falls. The newest rating is at END − 1 ms, so the latest window ends at END.
 */
function ratings(): Rating[] {
  const rng = new Random(11);
  const out: Rating[] = [];
  const add = (movieId: number, rating: number, timestamp: number, userId = rng.int(1, 300)) => out.push({ userId, movieId, rating, timestamp });
  for (let i = 0; i < 6000; i++) {
    let t = T0 + rng.int(0, 3 * DAY - 2);
    if (t >= EMPTY_HOUR && t < EMPTY_HOUR + HOUR) t += HOUR;
    const movieId = rng.next() < 0.01 ? rng.int(201, 203) : 1 + Math.floor(110 * rng.next() ** 2);
    add(movieId, 0.5 * rng.int(1, 10), t);
  }
  const cur = END - DAY;
  const prev = END - 2 * DAY;
  const at = (base: number, i: number) => base + 3 * HOUR + i * 60_000;
  for (let i = 0; i < 6; i++) add(117, 5, TIE_HOUR + 60_000 * i);
  for (let i = 0; i < 10; i++) add(118, 3, TIE_HOUR + 60_000 * (i + 7));
  for (let i = 0; i < 10; i++) add(111, 5, at(prev, i));
  for (let i = 0; i < 6; i++) add(112, 5, at(cur, i));
  for (let i = 0; i < 4; i++) add(113, 5, at(cur, i));
  for (let i = 0; i < 5; i++) add(114, 1, at(prev, i));
  for (let i = 0; i < 8; i++) add(114, 5, at(cur, i));
  add(115, 0.5, at(prev, 0));
  for (let i = 0; i < 4; i++) add(115, 5, at(cur, i));
  for (let i = 0; i < 20; i++) add(116, 5, at(prev, i));
  for (let i = 0; i < 6; i++) add(116, 5, at(cur, i));
  add(1, 4, END - 1);
  return out;
}

async function outputRows(dataDir: string) {
  const root = analyticsDir(dataDir);
  const topn = existsSync(join(root, 'topn'))
    ? await duck<TopNRow>(`SELECT period, period_start, period_end, rank, movieId, title, genres, rating_count, avg_rating, score
        FROM read_parquet('${join(root, 'topn', '**', '*.parquet')}', hive_partitioning = true) ORDER BY period, period_start, rank`)
    : [];
  const trending = await duck<TrendingRow>(`SELECT * FROM read_parquet('${join(root, 'trending', 'data.parquet')}') ORDER BY rank`);
  const distributions = await duck<DistributionRow>(`SELECT genre, ratings, users, movies, mean, stddev, p25, p50, p75, p95, histogram
    FROM read_parquet('${join(root, 'distributions', '**', '*.parquet')}', hive_partitioning = true) ORDER BY genre <> '(all)', genre`);
  return { topn, trending, distributions };
}

function sortTopN(rows: TopNRow[]): TopNRow[] {
  return [...rows].sort((a, b) => (a.period < b.period ? -1 : a.period > b.period ? 1 : 0) || a.period_start.localeCompare(b.period_start) || a.rank - b.rank);
}

function assertDistributions(actual: DistributionRow[], expected: DistributionRow[]): void {
  assert.deepEqual(actual.map((r) => r.genre), expected.map((r) => r.genre), 'genres');
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const what = `genre ${e.genre}`;
    assert.deepEqual([a.ratings, a.users, a.movies, a.p25, a.p50, a.p75, a.p95], [e.ratings, e.users, e.movies, e.p25, e.p50, e.p75, e.p95], what);
    close(a.mean, e.mean, `${what} mean`);
    close(a.stddev, e.stddev, `${what} stddev`);
    assert.deepEqual(a.histogram, e.histogram, `${what} histogram`);
  }
}

async function cli(args: string[]): Promise<string> {
  let out = '';
  let err = '';
  const command = analyticsCommand((t) => (out += t))
    .exitOverride()
    .configureOutput({ writeErr: (t) => (err += t) });
  try {
    await command.parseAsync(['node', 'analytics', ...args]);
  } catch (e) {
    throw new Error(`${(e as Error).message} ${err}`.trim(), { cause: e });
  }
  return out;
}

describe('batch analytics', () => {
  const movies = catalogue();
  const all = ratings();
  let dir: string;
  let cleanup: () => void;
  let first: AnalyticsSummary;

  before(async () => {
    ({ dir, cleanup } = tempDir('streamrec-analytics-'));
    writeCatalogue(dir, movies);
    await writeRawLake(dir, all);
  });
  after(() => cleanup());

  it('says there are no analytics yet before the first run', async () => {
    const reader = await readAnalytics(dir);
    try {
      assert.equal(reader.manifest(), null);
      await assert.rejects(reader.distributions(), (err: Error) => err instanceof NoAnalyticsError && /no analytics yet: run `streamrec analytics`/.test(err.message));
      await assert.rejects(reader.topn('hour'), NoAnalyticsError);
      await assert.rejects(reader.trending(10), NoAnalyticsError);
    } finally {
      reader.close();
    }
  });

  it('computes distributions, top 50 per hour and day, and trending equal to brute force', async () => {
    const progress: string[] = [];
    first = await runAnalytics({ dataDir: dir, onProgress: (e) => progress.push(`${e.step}:${e.phase}`) });
    assert.deepEqual(progress.filter((p) => p.endsWith(':done')), ['input:done', 'distributions:done', 'topn:done', 'trending:done', 'publish:done']);
    const out = await outputRows(dir);

    const dist = bruteDistributions(all, movies);
    assertDistributions(out.distributions, dist);
    const byGenre = new Map(out.distributions.map((r) => [r.genre, r]));
    // A catalogue genre nobody rated is present with zeros; unrated catalogue movies don't count.
    assert.deepEqual({ ...byGenre.get('Western')!, histogram: undefined }, { genre: 'Western', ratings: 0, users: 0, movies: 0, mean: null, stddev: null, p25: null, p50: null, p75: null, p95: null, histogram: undefined });
    assert.ok(byGenre.get('Western')!.histogram.every((b) => b.count === 0 && b.share === 0));
    assert.ok(byGenre.get('(unknown)')!.ratings > 0, 'movies missing from the catalogue under (unknown)');
    assert.ok(byGenre.get('(no genres listed)')!.ratings > 0);
    const total = byGenre.get('(all)')!;
    assert.equal(total.ratings, all.length);
    // The percentiles are DuckDB's own quantile_disc over the raw ratings.
    const lake = await openLakeQuery(dir);
    try {
      const [q] = await lake.query('SELECT quantile_disc(rating, 0.25) AS p25, quantile_disc(rating, 0.5) AS p50, quantile_disc(rating, 0.75) AS p75, quantile_disc(rating, 0.95) AS p95, stddev_pop(rating) AS sd FROM ratings_raw');
      assert.deepEqual([total.p25, total.p50, total.p75, total.p95], [q!.p25, q!.p50, q!.p75, q!.p95]);
      close(total.stddev, q!.sd as number, 'stddev_pop');
    } finally {
      lake.close();
    }

    const top = bruteTopN(all, movies, 50);
    assert.deepEqual(out.topn, sortTopN(top));
    assert.ok(out.topn.some((r) => r.period === 'hour' && r.rank === 50), 'some hours have more than 50 movies');
    assert.ok(!out.topn.some((r) => r.period_start === new Date(EMPTY_HOUR).toISOString() && r.period === 'hour'), 'no rows for the empty hour');
    const tie = out.topn.filter((r) => r.period === 'hour' && r.period_start === new Date(TIE_HOUR).toISOString() && r.score === 30);
    const i117 = tie.findIndex((r) => r.movieId === 117);
    assert.ok(i117 >= 0 && tie[i117 + 1]?.movieId === 118 && tie[i117 + 1]!.rank === tie[i117]!.rank + 1, 'equal scores: the lower movie id first');

    const trend = bruteTrending(all, movies, END, DAY);
    assert.deepEqual(out.trending, trend);
    const listed = new Map(out.trending.map((r) => [r.movieId, r]));
    assert.ok(!listed.has(111), 'a movie that dropped out is not trending');
    assert.equal(listed.get(112)?.is_new, true, 'a new entry is flagged');
    assert.ok((listed.get(112)?.rank_delta ?? 0) > 0, 'a new entry sorts as a riser (rank_delta > 0), as in the Spark job');
    assert.equal(listed.get(112)?.previous_rank, null);
    assert.ok(!listed.has(113), 'a new entry with 4 ratings is below the minimum');
    assert.ok((listed.get(114)?.rank_delta ?? 0) > 0, 'a riser is listed');
    assert.ok(!listed.has(115), 'a riser with 4 ratings is below the minimum');
    assert.ok(!listed.has(116), 'a faller is not trending');

    const m = first.manifest;
    assert.equal(m.input.ratings, all.length);
    assert.deepEqual([m.parts.distributions.rows, m.parts.topn.rows, m.parts.trending.rows], [out.distributions.length, out.topn.length, out.trending.length]);
    assert.equal(m.parts.trending.current_end, new Date(END).toISOString());
    assert.equal(m.parts.topn.hours, 71, '72 hours less the empty one');

    const reader = await readAnalytics(dir);
    try {
      assert.equal(reader.manifest()?.run_id, m.run_id);
      assert.deepEqual(await reader.distributions(), out.distributions);
      assert.deepEqual(await reader.distributions('Drama'), [byGenre.get('Drama')]);
      assert.deepEqual(await reader.distributions('Nope'), []);
      const latest = await reader.topn('hour');
      assert.equal(latest.period_start, new Date(END - HOUR).toISOString());
      assert.deepEqual(latest.rows, top.filter((r) => r.period === 'hour' && r.period_start === latest.period_start).map(({ period: _p, period_start: _s, period_end: _e, ...r }) => r));
      const empty = await reader.topn('hour', new Date(EMPTY_HOUR + 1234).toISOString());
      assert.deepEqual([empty.period_start, empty.rows], [new Date(EMPTY_HOUR).toISOString(), []]);
      const day = await reader.topn('day', '2025-11-11T13:00:00Z');
      assert.equal(day.period_start, '2025-11-11T00:00:00.000Z');
      assert.equal(day.rows.length, 50);
      assert.deepEqual(day.rows[0], (({ period: _p, period_start: _s, period_end: _e, ...r }) => r)(top.find((r) => r.period === 'day' && r.period_start === day.period_start)!));
      const t3 = await reader.trending(3);
      assert.deepEqual(t3.rows, trend.slice(0, 3));
      assert.equal(t3.window_end, new Date(END).toISOString());
      await assert.rejects(reader.topn('hour', 'yesterday'), RangeError);
    } finally {
      reader.close();
    }
  });

  it('replaces the outputs on a re-run over the same input: same rows, no duplicates, nothing left over', async () => {
    assert.ok(first, 'runs after the first test');
    const before = await outputRows(dir);
    const again = await runAnalytics({ dataDir: dir });
    const afterRows = await outputRows(dir);
    assert.notEqual(again.manifest.run_id, first.manifest.run_id);
    assert.deepEqual(
      [afterRows.distributions.length, afterRows.topn.length, afterRows.trending.length],
      [before.distributions.length, before.topn.length, before.trending.length],
    );
    assert.deepEqual(afterRows, before);
    assert.deepEqual(
      [again.manifest.parts.distributions.files, again.manifest.parts.topn.files],
      [first.manifest.parts.distributions.files, first.manifest.parts.topn.files],
    );
    assert.deepEqual(readdirSync(lakeDir(dir)).sort(), ['analytics', 'ratings'], 'no staging, old tree or lock left');
  });

  it('restricts every output to --since/--until (CLI, JSON)', async () => {
    const since = T0 + 20 * HOUR + 30 * 60_000;
    const until = T0 + 50 * HOUR;
    const text = await cli(['--data-dir', dir, '--since', new Date(since).toISOString(), '--until', new Date(until).toISOString(), '--json']);
    const summary = JSON.parse(text) as AnalyticsSummary;
    const subset = all.filter((r) => inRange(r, since, until));
    assert.equal(summary.manifest.input.ratings, subset.length);
    assert.equal(summary.manifest.input.since, new Date(since).toISOString());
    const out = await outputRows(dir);
    assertDistributions(out.distributions, bruteDistributions(subset, movies));
    assert.deepEqual(out.topn, sortTopN(bruteTopN(subset, movies, 50)));
    // The latest window ends at --until; the previous one is clipped by --since.
    assert.deepEqual(out.trending, bruteTrending(subset, movies, until, DAY));
    assert.equal(summary.manifest.parts.trending.current_start, new Date(until - DAY).toISOString());

    const short = await cli(['--data-dir', dir, '--trending-window', '6h']);
    assert.match(short, /^part +rows +time +detail$/m);
    for (const part of ['distributions', 'topn', 'trending', 'total']) assert.match(short, new RegExp(`^${part} `, 'm'));
    assert.deepEqual((await outputRows(dir)).trending, bruteTrending(all, movies, END, 6 * HOUR));
  });

  it('rejects a bad range with one line', async () => {
    await assert.rejects(cli(['--data-dir', dir, '--since', '2025-11-12T00:00:00Z', '--until', '2025-11-11T00:00:00Z']), /--until must be after --since/);
    await assert.rejects(cli(['--data-dir', dir, '--since', 'tuesday']), /ISO-8601/);
  });

  it('keeps two runs apart with a lock, and takes over the lock of a dead run', async () => {
    const lock = join(lakeDir(dir), '.analytics.lock');
    writeFileSync(lock, `${process.ppid}\n`);
    await assert.rejects(runAnalytics({ dataDir: dir }), AnalyticsBusyError);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lock, `${dead}\n`);
    const run = await runAnalytics({ dataDir: dir });
    assert.equal(run.manifest.input.ratings, all.length);
    assert.ok(!existsSync(lock));
  });
});

describe('batch analytics on an empty lake', () => {
  it('writes empty outputs and a zero distribution, and warns', async () => {
    const { dir, cleanup } = tempDir('streamrec-analytics-');
    try {
      const summary = await runAnalytics({ dataDir: dir });
      assert.equal(summary.manifest.input.ratings, 0);
      assert.match(summary.warnings.join('\n'), /raw lake is empty/);
      assert.match(summary.warnings.join('\n'), /no movie catalogue/);
      const reader = await readAnalytics(dir);
      try {
        const [all] = await reader.distributions();
        assert.equal(all?.genre, '(all)');
        assert.equal(all?.ratings, 0);
        assert.deepEqual(await reader.topn('hour'), { period: 'hour', period_start: null, period_end: null, generated_at: summary.manifest.finished_at, rows: [] });
        assert.deepEqual((await reader.trending()).rows, []);
      } finally {
        reader.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe('distribution percentiles', () => {
  it('are quantile_disc exactly where n·q is a whole number', async () => {
    const { dir, cleanup } = tempDir('streamrec-analytics-');
    try {
      // 20 ratings, sorted 0.5 ×4, 1 ×5, 2 ×10, 5: n·q is whole for every percentile, the case
      // where nearest-rank definitions part ways: quantile_disc takes the (n·q)-th value, so p95 is
      // the 19th (2), not the 20th (5); p25 the 5th (1), p50 the 10th (2), p75 the 15th (2).
      const values = [...Array(5).fill(1), ...Array(10).fill(2), ...Array(4).fill(0.5), 5] as number[];
      const rs: Rating[] = values.map((rating, i) => ({ userId: 1 + (i % 3), movieId: 1 + (i % 4), rating, timestamp: T0 + i * 1000 }));
      await writeRawLake(dir, rs);
      await runAnalytics({ dataDir: dir });
      const reader = await readAnalytics(dir);
      const lake = await openLakeQuery(dir);
      try {
        const [all] = await reader.distributions('(all)');
        const [q] = await lake.query('SELECT quantile_disc(rating, 0.25) AS p25, quantile_disc(rating, 0.5) AS p50, quantile_disc(rating, 0.75) AS p75, quantile_disc(rating, 0.95) AS p95 FROM ratings_raw');
        assert.deepEqual([all!.p25, all!.p50, all!.p75, all!.p95], [q!.p25, q!.p50, q!.p75, q!.p95]);
        assert.deepEqual([all!.p25, all!.p50, all!.p75, all!.p95], [1, 2, 2, 2]);
        const dist = bruteDistributions(rs, []);
        assertDistributions(await reader.distributions(), dist);
        assert.deepEqual((await reader.distributions()).map((r) => r.genre), ['(all)', '(unknown)']);
      } finally {
        lake.close();
        reader.close();
      }
    } finally {
      cleanup();
    }
  });
});
