/**
 * `npm run bench -- analytics`: the batch analytics job (distributions, top-N per hour and day,
 * trending, Parquet outputs) over 20M ratings in the raw lake — 7 days of event time, ~10k movies
 * with a synthetic catalogue — beside a bare DuckDB full scan (`count(*), avg(rating)`) of the
 * same files in the same run. The old Spark batch job did ~50k ratings/min; the goal is the whole
 * job in under 30 s on 2 cores.
 *
 * The ratings are written (not timed) by DuckDB SQL from `range(N)` straight into the lake layout
 * `ratings/raw/date=…/hour=…/`, in a child process so its memory does not count in the peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, quotedString } from '@duckdb/node-api';
import { runAnalytics } from '../src/analytics/run-analytics.js';
import { lakeTableDir } from '../src/lake/lake-table.js';
import { ratingsRawTable } from '../src/pipelines/ratings/ratings-lake.js';
import { ensureCatalogue } from '../src/movies/catalogue-store.js';
import { tempDir } from '../test/helpers/tmp.js';
import { peakRssMb, printFigures, say, seconds } from './report.js';

const N = Number(process.env.BENCH_RATINGS ?? 20_000_000);
const MOVIES = 10_000;
const USERS = 200_000;
const FROM_MS = Date.UTC(2025, 10, 10);
const SPAN_MS = 7 * 86_400_000;

/**
 * N ratings in the lake layout: event times spread evenly over SPAN_MS with up to 10 minutes of
 * hash jitter (so each hour directory gets a file or two per writer thread), users uniform,
 * movies skewed towards low ids (quadratic: a few popular movies, a long tail; 0.1 % outside the
 * catalogue), ratings 0.5–5 leaning to each movie's own level. Everything from hash(i, k).
 */
export async function generateLake(dataDir: string, n: number): Promise<void> {
  const raw = lakeTableDir(dataDir, ratingsRawTable);
  mkdirSync(raw, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(`SET preserve_insertion_order = false;
      COPY (
        SELECT userId, movieId, rating, ts AS timestamp, epoch_ms(ts) AS event_time,
          (userId % 4)::INTEGER AS source_partition, i AS source_offset,
          strftime(epoch_ms(ts), '%Y-%m-%d') AS date, strftime(epoch_ms(ts), '%H') AS hour
        FROM (
          SELECT i,
            (1 + hash(i, 1) % ${USERS})::INTEGER AS userId,
            CASE WHEN hash(i, 5) % 1000 = 0 THEN ${MOVIES} + 1 + hash(i, 6) % 100
                 ELSE 1 + floor(${MOVIES} * pow((hash(i, 2) % 1000003) / 1000003.0, 2)) END::INTEGER AS movieId,
            least(5.0, greatest(0.5, 0.5 * (2 + (hash(i, 7) % 8) + (hash(movieId, 8) % 3) - 1)))::DOUBLE AS rating,
            (${FROM_MS} + (i * ${SPAN_MS}) // ${n} + hash(i, 4) % 600000)::BIGINT AS ts
          FROM range(${n}) r(i)
        )
      ) TO ${quotedString(raw)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, hour), OVERWRITE_OR_IGNORE)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The baseline: a bare full scan of the same files, best of two; ratings/s. */
async function bareScan(dataDir: string): Promise<{ rate: number; seconds: number }> {
  const glob = quotedString(join(lakeTableDir(dataDir, ratingsRawTable), '**', '*.parquet'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    let best = Infinity;
    for (let i = 0; i < 2; i++) {
      const t = process.hrtime.bigint();
      const reader = await connection.runAndReadAll(`SELECT count(*) AS n, avg(rating) AS a FROM read_parquet(${glob})`, []);
      const s = seconds(t);
      const [n] = reader.getRows()[0]!;
      if (Number(n) !== N) throw new Error(`bare scan read ${String(n)} of ${N}`);
      best = Math.min(best, s);
    }
    return { rate: N / best, seconds: best };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : e.name.endsWith('.parquet') ? 1 : 0;
  return n;
}

export async function run(): Promise<void> {
  const { dir, cleanup } = tempDir('bench-analytics-');
  try {
    say(`analytics bench: writing ${N.toLocaleString('en-US')} ratings over 7 days into the raw lake with DuckDB, in a child process (not timed)`);
    const tg = process.hrtime.bigint();
    await ensureCatalogue({ dataDir: dir, syntheticCount: MOVIES });
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--generate', dir, String(N)], { stdio: ['ignore', 'inherit', 'inherit'] });
    say(`  ${countFiles(lakeTableDir(dir, ratingsRawTable))} Parquet files in ${seconds(tg).toFixed(1)} s`);

    const scan = await bareScan(dir);
    say(`bare DuckDB scan (count(*), avg(rating)): ${Math.round(scan.rate).toLocaleString('en-US')} ratings/s (${scan.seconds.toFixed(2)} s)`);

    // Twice: the second run replaces the first's outputs; the faster one is reported.
    let best: Awaited<ReturnType<typeof runAnalytics>> | null = null;
    let bestSeconds = Infinity;
    for (let i = 0; i < 2; i++) {
      const t = process.hrtime.bigint();
      const summary = await runAnalytics({ dataDir: dir });
      const s = seconds(t);
      if (summary.manifest.input.ratings !== N) throw new Error(`analytics read ${summary.manifest.input.ratings} of ${N} ratings`);
      if (best && JSON.stringify(rowCounts(best)) !== JSON.stringify(rowCounts(summary))) throw new Error('a re-run changed the row counts');
      say(`  run ${i + 1}: ${s.toFixed(2)} s`);
      if (s < bestSeconds) {
        bestSeconds = s;
        best = summary;
      }
    }
    const summary = best!;
    const rate = N / bestSeconds;
    say(`analytics job: ${Math.round(rate).toLocaleString('en-US')} ratings/s (${bestSeconds.toFixed(2)} s for ${N.toLocaleString('en-US')} ratings; goal < 30 s; the Spark job did ~50,000/min)`);
    for (const st of summary.steps) say(`  ${st.step.padEnd(13)} ${(st.duration_ms / 1000).toFixed(2).padStart(6)} s  ${st.detail}`);
    say(`job time vs bare scan: ${(bestSeconds / scan.seconds).toFixed(1)}× (ratings/s ratio ${(rate / scan.rate).toFixed(3)}); peak RSS ${peakRssMb()} MB`);
    const part = (name: string) => (summary.steps.find((s) => s.step === name)?.duration_ms ?? 0) / 1000;
    printFigures('analytics', [
      { name: 'analytics_job', value: rate, unit: 'ratings/s', baseline: scan.rate },
      { name: 'analytics_job_time', value: bestSeconds, unit: 's' },
      { name: 'distributions_time', value: part('distributions'), unit: 's' },
      { name: 'topn_time', value: part('topn'), unit: 's' },
      { name: 'trending_time', value: part('trending'), unit: 's' },
    ]);
  } finally {
    cleanup();
  }
}

function rowCounts(s: Awaited<ReturnType<typeof runAnalytics>>): number[] {
  const p = s.manifest.parts;
  return [p.distributions.rows, p.topn.rows, p.trending.rows];
}

// Run as a script with `--generate <data-dir> <n>`: the child process of `run`.
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--generate') {
  await generateLake(process.argv[3]!, Number(process.argv[4]));
}
