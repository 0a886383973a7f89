/**
 * The batch analytics job: DuckDB over the raw ratings lake → distributions, top-N per hour and
 * day, trending → Parquet under `<data-dir>/lake/analytics/` with a manifest, replacing the
 * previous run's outputs; optionally verifies the stream's final results against the raw lake.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { cataloguePath } from '../movies/catalogue-store.js';
import { openAnalyticsDb } from './analytics-db.js';
import { DISTRIBUTIONS_TABLE, computeDistributions } from './distributions.js';
import { analyticsDir, openStaging } from './outputs.js';
import { TOPN_TABLE, computeTopN, type TopNStats } from './topn.js';
import { TRENDING_TABLE, computeTrending, type TrendingStats } from './trending.js';
import type { AnalyticsManifest, AnalyticsOptions, AnalyticsStep, AnalyticsSummary, PartManifest, VerifySummary } from './types.js';
import { verifyStreamResults } from './verify.js';

export const DEFAULT_TRENDING_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_TOP_N = 50;
export const DEFAULT_TRENDING_MIN_RATINGS = 5;
export const DEFAULT_TRENDING_LIMIT = 200;

export async function runAnalytics(options: AnalyticsOptions): Promise<AnalyticsSummary> {
  const sinceMs = options.sinceMs ?? null;
  const untilMs = options.untilMs ?? null;
  const windowMs = options.trendingWindowMs ?? DEFAULT_TRENDING_WINDOW_MS;
  const topN = options.topN ?? DEFAULT_TOP_N;
  const minRatings = options.trendingMinRatings ?? DEFAULT_TRENDING_MIN_RATINGS;
  const limit = options.trendingLimit ?? DEFAULT_TRENDING_LIMIT;
  for (const [name, v] of [['since', sinceMs], ['until', untilMs]] as const) {
    if (v !== null && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`analytics: ${name} must be an epoch ms ≥ 0, got ${v}`);
  }
  if (sinceMs !== null && untilMs !== null && untilMs <= sinceMs) throw new RangeError('analytics: --until must be after --since');
  if (!(Number.isSafeInteger(windowMs) && windowMs > 0)) throw new RangeError('analytics: the trending window must be a positive duration');
  for (const [name, v] of [['top N', topN], ['trending minimum ratings', minRatings], ['trending limit', limit]] as const) {
    if (!(Number.isSafeInteger(v) && v >= 1)) throw new RangeError(`analytics: ${name} must be a positive integer, got ${v}`);
  }

  const startedAt = new Date();
  const t0 = performance.now();
  const runId = `${startedAt.getTime().toString(36)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const steps: AnalyticsSummary['steps'] = [];
  const warnings: string[] = [];
  const step = async <R extends { rows: number; detail: string }>(name: AnalyticsStep, work: () => Promise<R>): Promise<R & { durationMs: number }> => {
    options.onProgress?.({ step: name, phase: 'start' });
    const t = performance.now();
    const result = await work();
    const durationMs = Math.round(performance.now() - t);
    steps.push({ step: name, duration_ms: durationMs, rows: result.rows, detail: result.detail });
    options.onProgress?.({ step: name, phase: 'done', durationMs, rows: result.rows, detail: result.detail });
    return { ...result, durationMs };
  };

  const db = await openAnalyticsDb(options.dataDir, { sinceMs, untilMs }, { threads: options.threads });
  try {
    const staging = openStaging(options.dataDir, runId);
    try {
      if (db.catalogueMovies === 0) warnings.push(`no movie catalogue at ${cataloguePath(options.dataDir)}: every movie is listed under (unknown)`);

      const input = await step('input', async () => {
        const [r] = await db.query<{ n: number; lo: number | null; hi: number | null }>('SELECT count(*) AS n, min(timestamp) AS lo, max(timestamp) AS hi FROM ratings');
        const detail = r!.n === 0 ? 'no ratings in range' : `${r!.n.toLocaleString('en-US')} ratings from ${iso(r!.lo!)} to ${iso(r!.hi!)}`;
        return { rows: r!.n, lo: r!.lo, hi: r!.hi, detail };
      });
      if (input.rows === 0) warnings.push(db.hasRaw ? 'the raw lake holds no rating in the range' : 'the raw lake is empty (run `streamrec process` first)');

      const parts = {} as Record<'distributions' | 'topn' | 'trending', PartManifest>;
      const dist = await step('distributions', async () => {
        const r = await computeDistributions(db);
        const files = await staging.write(db, DISTRIBUTIONS_TABLE, 'distributions', ['genre'], 'genre');
        return { rows: r.rows, files, detail: `${r.genres} genres + (all)` };
      });
      parts.distributions = { rows: dist.rows, duration_ms: dist.durationMs, path: 'distributions', partitioned_by: ['genre'], files: dist.files };

      let topStats: TopNStats | undefined;
      const top = await step('topn', async () => {
        topStats = await computeTopN(db, topN);
        const files = await staging.write(db, TOPN_TABLE, 'topn', ['period', 'date'], 'period, period_start, rank');
        return { rows: topStats.rows, files, detail: `top ${topN} of ${topStats.hours} hours and ${topStats.days} days` };
      });

      const endMs = untilMs ?? (input.hi === null ? null : input.hi + 1);
      let trendStats: TrendingStats | undefined;
      const trend = await step('trending', async () => {
        trendStats = await computeTrending(db, { windowMs, endMs, minRatings, limit });
        const files = await staging.write(db, TRENDING_TABLE, 'trending', [], 'rank');
        const detail = endMs === null ? 'no ratings' : `${trendStats.rows} movies rising in [${iso(trendStats.currentStartMs!)}, ${iso(endMs)}), ${trendStats.newEntries} new`;
        return { rows: trendStats.rows, files, detail };
      });

      let verify: VerifySummary | null = null;
      if (options.verify) {
        const v = await step('verify', async () => {
          const summary = await verifyStreamResults(db);
          const detail = `${summary.windows} windows, ${summary.mismatch_count === 0 ? 'all consistent' : `${summary.mismatch_count} mismatches`}`;
          return { rows: summary.windows, summary, detail };
        });
        verify = v.summary;
      }

      const manifest: AnalyticsManifest = {
        version: 1,
        run_id: runId,
        started_at: startedAt.toISOString(),
        finished_at: '',
        duration_ms: 0,
        input: {
          since: sinceMs === null ? null : iso(sinceMs),
          until: untilMs === null ? null : iso(untilMs),
          ratings: input.rows,
          first_event_time: input.lo === null ? null : iso(input.lo),
          last_event_time: input.hi === null ? null : iso(input.hi),
          catalogue_movies: db.catalogueMovies,
        },
        options: { top_n: topN, trending_window_ms: windowMs, trending_min_ratings: minRatings, trending_limit: limit },
        parts: {
          distributions: parts.distributions,
          topn: {
            rows: top.rows,
            duration_ms: top.durationMs,
            path: 'topn',
            partitioned_by: ['period', 'date'],
            files: top.files,
            hour_rows: topStats!.hourRows,
            day_rows: topStats!.dayRows,
            hours: topStats!.hours,
            days: topStats!.days,
          },
          trending: {
            rows: trend.rows,
            duration_ms: trend.durationMs,
            path: 'trending',
            partitioned_by: [],
            files: trend.files,
            window_ms: windowMs,
            current_start: trendStats!.currentStartMs === null ? null : iso(trendStats!.currentStartMs),
            current_end: endMs === null ? null : iso(endMs),
            previous_start: trendStats!.previousStartMs === null ? null : iso(trendStats!.previousStartMs),
          },
        },
        verify,
      };
      await step('publish', async () => {
        manifest.finished_at = new Date().toISOString();
        manifest.duration_ms = Math.round(performance.now() - t0);
        staging.publish(manifest);
        return { rows: 0, detail: analyticsDir(options.dataDir) };
      });
      return { manifest, outputDir: analyticsDir(options.dataDir), steps, verify, warnings };
    } catch (err) {
      staging.discard();
      throw err;
    }
  } finally {
    db.close();
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
