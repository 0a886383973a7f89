/**
 * `npm run bench -- process`: replays 1M prefilled ratings (a day of event time, 2% late) through
 * the ratings pipeline — both window types, percentiles, top-N, genres, checkpoints — beside a
 * bare scan + JSON.parse of the same log file in the same run (best of three rounds each).
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { logPath } from '../src/util/config.js';
import { resetPipeline, runPipeline } from '../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../src/log/open-log.js';
import { ensureCatalogue } from '../src/movies/catalogue-store.js';
import { ratingsPipeline } from '../src/pipelines/ratings/ratings-pipeline.js';
import { tempDir } from '../test/helpers/tmp.js';
import { printFigures, say, seconds } from './report.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const IDLE_MS = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * Every partition table of the ratings topic, scanned with a raw prepared SELECT of the columns a
 * log consumer reads, and JSON.parse of each value: what reading the log costs with nothing else.
 */
function bareScan(dataDir: string): number {
  const db = new Database(logPath(dataDir), { readonly: true });
  // Only the ratings topic: the metrics and late topics the replays write sit in the same file.
  const { id, partitions } = db.prepare("SELECT id, partitions FROM topics WHERE name = 'ratings'").get() as { id: number; partitions: number };
  const tables = Array.from({ length: partitions }, (_, p) => `t${id}_p${p}`);
  const t = process.hrtime.bigint();
  let n = 0;
  let sum = 0;
  for (const table of tables) {
    const select = db.prepare(`SELECT offset, ts, key, value, headers FROM ${table} WHERE offset >= ? ORDER BY offset LIMIT 5000`).raw(true);
    let offset = 0;
    for (;;) {
      const rows = select.all(offset) as [number, number, string, string, null][];
      if (rows.length === 0) break;
      for (const row of rows) sum += (JSON.parse(row[3]) as { rating: number }).rating;
      n += rows.length;
      offset = rows[rows.length - 1]![0] + 1;
    }
  }
  const rate = n / seconds(t);
  db.close();
  if (n !== N || !(sum > 0)) throw new Error(`bare scan read ${n} of ${N}`);
  return rate;
}

export async function run(): Promise<void> {
  const { dir, cleanup } = tempDir('bench-process-');
  try {
    say(`process bench: prefilling ${N.toLocaleString('en-US')} ratings over one day of event time, 2% late, in a separate process (not timed)`);
    // The generator runs in its own process, as it would beside a processor.
    execFileSync(process.execPath, [
      resolve(import.meta.dirname, '../src/cli/main.js'), 'generate', 'ratings', '--data-dir', dir, '--rate', 'max',
      '--count', String(N), '--from', '2025-11-10T00:00:00Z', '--span', '1d', '--late-fraction', '0.02',
      '--min-delay', '1m', '--max-delay', '20m', '--seed', '3',
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    const catalogue = await ensureCatalogue({ dataDir: dir });
    // Three rounds, each a bare scan then a full replay from the earliest offset; the best of each
    // side is kept, so one noisy moment on a shared machine does not decide the ratio.
    let bare = 0;
    let rate = 0;
    let status: Awaited<ReturnType<typeof runPipeline>> | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      bare = Math.max(bare, bareScan(dir));
      const log = openEmbeddedLog({ dataDir: dir });
      await resetPipeline(log, 'ratings');
      const t = process.hrtime.bigint();
      const run = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: IDLE_MS }), { log, exitWhenIdle: true });
      const elapsed = seconds(t) - IDLE_MS / 1000;
      await log.close();
      if (run.processed !== N) throw new Error(`processed ${run.processed} of ${N}`);
      say(`  round ${round + 1}: pipeline ${Math.round(N / elapsed).toLocaleString('en-US')} events/s`);
      if (N / elapsed > rate) [rate, status] = [N / elapsed, run];
    }
    const elapsed = N / rate;
    say(`pipeline: ${Math.round(rate).toLocaleString('en-US')} events/s (${elapsed.toFixed(2)} s; ${status!.finals} final results, ${status!.late} late, ${status!.checkpoints} checkpoints)`);
    say(`bare scan + JSON.parse: ${Math.round(bare).toLocaleString('en-US')} events/s; ratio ${(rate / bare).toFixed(2)}`);
    printFigures('process', [{ name: 'ratings_pipeline', value: rate, unit: 'events/s', baseline: bare }]);
  } finally {
    cleanup();
  }
}

