/**
 * `npm run bench -- process`: replays 1M prefilled ratings (a day of event time, 2% late) through
 * the ratings pipeline — both window types, percentiles, top-N, genres, checkpoints — beside a
 * bare scan + JSON.parse of the same log file in the same run.
 */
import Database from 'better-sqlite3';
import { logPath } from '../src/config.js';
import { runPipeline } from '../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../src/log/open-log.js';
import { syntheticCatalogue } from '../src/pipelines/ratings/synthetic-catalogue.js';
import { generateRatings } from '../src/pipelines/ratings/ratings-generator.js';
import { ratingsPipeline } from '../src/pipelines/ratings/ratings-pipeline.js';
import { tempDir } from '../test/helpers/tmp.js';
import { printFigures, say, seconds } from './report.js';

const N = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const IDLE_MS = 100;

/** Every partition table of the ratings topic, scanned with a raw prepared SELECT and JSON.parse. */
function bareScan(dataDir: string): number {
  const db = new Database(logPath(dataDir), { readonly: true });
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 't[0-9]*_p[0-9]*'").pluck().all() as string[];
  const t = process.hrtime.bigint();
  let n = 0;
  let sum = 0;
  for (const table of tables) {
    const select = db.prepare(`SELECT offset, value FROM ${table} WHERE offset >= ? ORDER BY offset LIMIT 5000`).raw(true);
    let offset = 0;
    for (;;) {
      const rows = select.all(offset) as [number, string][];
      if (rows.length === 0) break;
      for (const row of rows) sum += (JSON.parse(row[1]) as { rating: number }).rating;
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
    const catalogue = syntheticCatalogue(10_000, 1);
    let log = openEmbeddedLog({ dataDir: dir });
    say(`process bench: prefilling ${N.toLocaleString('en-US')} ratings over one day of event time, 2% late (not timed)`);
    await generateRatings({
      log, catalogue, users: 5000, seed: 3, rate: Infinity, count: N,
      lateFraction: 0.02, minDelayMs: 60_000, maxDelayMs: 20 * 60_000,
      backfill: { fromMs: Date.UTC(2025, 10, 10), spanMs: 86_400_000 },
    });
    await log.close();

    const bare = Math.max(bareScan(dir), bareScan(dir));
    log = openEmbeddedLog({ dataDir: dir });
    const t = process.hrtime.bigint();
    const status = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: IDLE_MS }), { log, exitWhenIdle: true });
    const elapsed = seconds(t) - IDLE_MS / 1000;
    await log.close();
    if (status.processed !== N) throw new Error(`processed ${status.processed} of ${N}`);
    const rate = N / elapsed;
    say(`pipeline: ${Math.round(rate).toLocaleString('en-US')} events/s (${elapsed.toFixed(2)} s; ${status.finals} final results, ${status.late} late, ${status.checkpoints} checkpoints)`);
    say(`bare scan + JSON.parse: ${Math.round(bare).toLocaleString('en-US')} events/s; ratio ${(rate / bare).toFixed(2)}`);
    printFigures('process', [{ name: 'ratings_pipeline', value: rate, unit: 'events/s', baseline: bare }]);
  } finally {
    cleanup();
  }
}
