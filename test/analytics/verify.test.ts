/**
 * `--verify` on lakes written by the real pipeline (`streamrec process --exit-when-idle` in a child
 * process), with and without late events, and after tampering with a final result in the agg lake.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { quotedString } from '@duckdb/node-api';
import { analyticsCommand } from '../../src/cli/commands/analytics.js';
import { UserError } from '../../src/util/errors.js';
import { runAnalytics } from '../../src/analytics/run-analytics.js';
import { lakeTableDir } from '../../src/lake/lake-table.js';
import { ratingsAggTable } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { tempDir } from '../helpers/tmp.js';
import { duck } from './fixtures.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');
const FROM = Date.UTC(2025, 10, 10, 6);
const SPAN = 3_600_000;
const COUNT = 15_000;

async function pipelineLake(dir: string, late: boolean): Promise<void> {
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    const catalogue = await ensureCatalogue({ dataDir: dir, syntheticCount: 500 });
    await generateRatings({
      log,
      catalogue,
      users: 400,
      seed: late ? 8 : 7,
      rate: Infinity,
      count: COUNT,
      backfill: { fromMs: FROM, spanMs: SPAN },
      ...(late ? { lateFraction: 0.04, minDelayMs: 11 * 60_000, maxDelayMs: 20 * 60_000 } : { lateFraction: 0 }),
    });
  } finally {
    await log.close();
  }
  await processAll(dir);
}

/** `streamrec process ratings --exit-when-idle` over what the log holds (a child process, as a user runs it). */
async function processAll(dir: string, ...args: string[]): Promise<void> {
  const child = spawn(process.execPath, [BIN, 'process', 'ratings', '--exit-when-idle', '--idle-timeout', '200ms', ...args, '--data-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((res) => child.on('exit', res));
  assert.equal(code, 0, stderr);
}

interface AggFile {
  file: string;
  window_start: string;
  count: number;
  late_events: number;
}

/** The agg lake's rows of a window type with the file each is in. */
async function aggRows(dir: string, windowType = 'tumbling_1min'): Promise<AggFile[]> {
  const glob = join(lakeTableDir(dir, ratingsAggTable), `window_type=${windowType}`, '**', '*.parquet');
  return duck<AggFile>(`SELECT filename AS file, window_start, count, late_events FROM read_parquet(${quotedString(glob)}, filename = true) ORDER BY window_start`);
}

/** Rewrites the row of one window in its agg file (column := expression); returns the undo. */
async function tamper(row: AggFile, column: string, expression: string): Promise<() => void> {
  const backup = `${row.file}.bak`;
  copyFileSync(row.file, backup);
  const tmp = `${row.file}.new`;
  await duck(`COPY (SELECT * REPLACE (CASE WHEN window_start = ${quotedString(row.window_start)} THEN ${expression} ELSE ${column} END AS ${column})
    FROM read_parquet(${quotedString(row.file)})) TO ${quotedString(tmp)} (FORMAT parquet)`);
  renameSync(tmp, row.file);
  return () => renameSync(backup, row.file);
}

async function cli(args: string[]): Promise<string> {
  let out = '';
  await analyticsCommand((t) => (out += t)).exitOverride().parseAsync(['node', 'analytics', ...args]);
  return out;
}

/** Whether the built CLI has the verb (it is registered in src/cli/main.ts). */
function cliHasAnalytics(): boolean {
  return /\n {2}analytics\b/.test(spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stdout);
}

describe('--verify against the running pipeline', () => {
  const onTime = tempDir('streamrec-verify-');
  const withLate = tempDir('streamrec-verify-late-');

  before(async () => {
    await Promise.all([pipelineLake(onTime.dir, false), pipelineLake(withLate.dir, true)]);
  });
  after(() => {
    onTime.cleanup();
    withLate.cleanup();
  });

  it('passes exactly on the pipeline’s own results without late events', async () => {
    const { verify } = await runAnalytics({ dataDir: onTime.dir, verify: true });
    assert.ok(verify);
    assert.equal(verify.ok, true, JSON.stringify(verify.mismatches.slice(0, 3)));
    assert.ok(verify.windows >= 60, `${verify.windows} windows`);
    assert.equal(verify.windows_equal, verify.windows, 'every window equals the raw lake');
    assert.equal(verify.windows_stats_compared, verify.windows, 'avg, p50, p95 compared in every window');
    assert.ok(verify.sliding_windows >= 60);
    assert.deepEqual(
      [verify.totals.stream_count, verify.totals.late_events, verify.totals.raw_ratings, verify.totals.equal],
      [COUNT, 0, COUNT, true],
    );
  });

  it('passes exactly with late events: counts + late_events == raw ratings, also over a sub-range', async () => {
    const { verify } = await runAnalytics({ dataDir: withLate.dir, verify: true });
    assert.ok(verify);
    assert.equal(verify.ok, true, JSON.stringify(verify.mismatches.slice(0, 3)));
    const t = verify.totals;
    assert.ok(t.late_events > 300, `${t.late_events} late`);
    assert.ok(verify.windows_with_late > 10);
    assert.ok(verify.windows_stats_compared > 0);
    assert.deepEqual([t.stream_count + t.late_events, t.raw_ratings, t.equal], [COUNT, COUNT, true]);

    // A range that cuts through late events in flight: no false mismatch, the difference explained.
    const sub = await runAnalytics({ dataDir: withLate.dir, verify: true, sinceMs: FROM + 15 * 60_000 + 30_000, untilMs: FROM + 45 * 60_000 });
    const v = sub.verify!;
    assert.equal(v.ok, true, JSON.stringify(v.mismatches.slice(0, 3)));
    assert.equal(v.windows, 29, 'windows wholly within the range');
    const s = v.totals;
    assert.equal(s.raw_ratings, s.stream_count + s.late_events + s.late_in_flight_at_end - s.late_in_flight_at_start);
  });

  it('fails naming the window when an agg row counts more than the lake holds (with and without late events)', async () => {
    for (const dir of [onTime.dir, withLate.dir]) {
      const rows = await aggRows(dir);
      const target = rows[Math.floor(rows.length / 2)]!;
      const undo = await tamper(target, 'count', 'count + 1000');
      try {
        const { verify } = await runAnalytics({ dataDir: dir, verify: true });
        assert.equal(verify!.ok, false);
        const m = verify!.mismatches.find((x) => x.kind === 'count_exceeds_lake');
        assert.equal(m?.window_start, target.window_start);
        assert.equal(m?.stream, target.count + 1000);
        await assert.rejects(cli(['--data-dir', dir, '--verify']), (err: Error) => err instanceof UserError && err.message.includes(`window ${target.window_start}`));
      } finally {
        undo();
      }
    }
  });

  it('fails naming the window when an agg row counts fewer, or a wrong average', async () => {
    const rows = await aggRows(onTime.dir);
    const target = rows[10]!;
    let undo = await tamper(target, 'count', 'count - 1');
    try {
      const { verify } = await runAnalytics({ dataDir: onTime.dir, verify: true });
      const m = verify!.mismatches.find((x) => x.kind === 'unaccounted_ratings');
      assert.equal(m?.window_start, target.window_start, JSON.stringify(verify!.mismatches));
      assert.equal(m?.batch, 1);
      assert.match(m!.message, new RegExp(`${target.window_start} \\(lake ${target.count}, stream ${target.count - 1}\\)`));
      assert.equal(verify!.totals.equal, false);
    } finally {
      undo();
    }
    undo = await tamper(target, 'avg_rating', 'avg_rating + 0.01');
    try {
      const { verify } = await runAnalytics({ dataDir: onTime.dir, verify: true });
      assert.deepEqual(verify!.mismatches.map((x) => [x.kind, x.window_start]), [['avg_rating', target.window_start]]);
    } finally {
      undo();
    }
    assert.equal((await runAnalytics({ dataDir: onTime.dir, verify: true })).verify!.ok, true, 'restored');
  });

  it('exits 1 from the CLI on a mismatch', { skip: cliHasAnalytics() ? false : 'analytics is not registered in src/cli/main.ts yet' }, async () => {
    const rows = await aggRows(onTime.dir);
    const target = rows[5]!;
    const undo = await tamper(target, 'count', 'count + 1');
    try {
      const r = spawnSync(process.execPath, [BIN, 'analytics', '--verify', '--data-dir', onTime.dir], { encoding: 'utf8' });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`streamrec: verify: .* window ${target.window_start}`));
      assert.match(r.stdout, /verify: MISMATCH/);
    } finally {
      undo();
    }
    const ok = spawnSync(process.execPath, [BIN, 'analytics', '--verify', '--data-dir', onTime.dir], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /verify: OK/);
    assert.deepEqual(readdirSync(join(onTime.dir, 'lake')).sort(), ['analytics', 'ratings']);
  });
});

describe('--verify on lateness at window edges', () => {
  const { dir, cleanup } = tempDir('streamrec-verify-edges-');
  const T = Date.UTC(2025, 10, 10, 9); // a minute boundary
  const S = 1000;
  // In arrival order, all in one partition (so arrival order is offset order), 30 s out-of-orderness.
  const times = [
    10 * S, 20 * S, 30 * S, 40 * S, 50 * S, 70 * S, // watermark 40 s
    15 * S, // behind the watermark, but [0, 1m) is open: counts
    95 * S, // watermark 65 s: [0, 1m) and sliding [-4m, 1m) are final
    60 * S - 1, // late for [0, 1m) and sliding [-4m, 1m); counts in the 4 other sliding windows
    60 * S, // behind the watermark, in the open [1m, 2m): counts
    ...Array.from({ length: 31 }, (_, i) => (100 + 10 * i) * S), // … 400 s: watermark 370 s
    10 * S, // every window of it is final: late, counted nowhere
    130 * S, // late for [2m, 3m) and 4 sliding windows, counts in sliding [2m, 7m)
    410 * S,
  ];

  before(async () => {
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await ensureCatalogue({ dataDir: dir, syntheticCount: 50 });
      await log.ensureTopic('ratings', { partitions: 4 });
      await log.producer().send('ratings', times.map((t, i) => {
        const rating = { userId: 1 + (i % 7), movieId: 1 + (i % 50), rating: 0.5 + (i % 10) / 2, timestamp: T + t };
        return { key: String(rating.userId), value: JSON.stringify(rating), timestamp: rating.timestamp, partition: 0 };
      }));
    } finally {
      await log.close();
    }
    await processAll(dir, '--out-of-orderness', '30s');
  });
  after(cleanup);

  it('counts behind-the-watermark events in open windows, attributes the missed ones as late, and verifies exactly', async () => {
    const { verify } = await runAnalytics({ dataDir: dir, verify: true });
    assert.ok(verify);
    assert.equal(verify.ok, true, JSON.stringify(verify.mismatches.slice(0, 3)));
    assert.deepEqual([verify.totals.stream_count, verify.totals.late_events, verify.totals.raw_ratings, verify.totals.equal], [times.length - 3, 3, times.length, true]);

    const rows = await duck<{ window_type: string; window_start: string; count: number; late_events: number }>(
      `SELECT window_type, substr(window_start, 12, 5) AS window_start, count, late_events
       FROM read_parquet(${quotedString(join(lakeTableDir(dir, ratingsAggTable), '**', '*.parquet'))}, hive_partitioning = true) ORDER BY window_type, window_start`,
    );
    const row = (type: string, start: string) => rows.find((r) => r.window_type === type && r.window_start === start);
    const pick = (r: { count: number; late_events: number } | undefined) => r && [Number(r.count), Number(r.late_events)];
    assert.deepEqual(pick(row('tumbling_1min', '09:00')), [6, 0], 'the event behind the watermark counted in its open minute');
    assert.deepEqual(pick(row('tumbling_1min', '09:01')), [5, 1], '60 s counted; the one at 1m − 1 ms attributed here as late');
    assert.deepEqual(pick(row('sliding_5min', '08:56')), [6, 0], 'final before the late event arrived');
    assert.deepEqual(pick(row('sliding_5min', '08:57')), [12, 1], 'holds the event at 1m − 1 ms (late only for [-4m, 1m))');
    assert.deepEqual(pick(row('sliding_5min', '09:00')), [30, 0], '[0, 5m): the event at 1m − 1 ms too; it was final before those at 10 s and 130 s came');
    assert.deepEqual(pick(row('sliding_5min', '09:02')), [31, 9], '[2m, 7m): holds the event at 130 s; the next sliding final after the two late ones: 5 + 4 windows missed');
    assert.deepEqual(pick(row('tumbling_1min', '09:06')), [6, 2]);
    const slidingLate = rows.filter((r) => r.window_type === 'sliding_5min').reduce((s, r) => s + Number(r.late_events), 0);
    assert.equal(slidingLate, 1 + 5 + 4, 'sliding late_events: one per sliding window an event missed');

    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const consumer = log.consumer({ group: 'test-late', topics: ['ratings.late'], from: 'earliest' });
      const late = await consumer.poll({ maxRecords: 100 });
      assert.deepEqual(
        late.map((r) => [(JSON.parse(r.value as string) as { timestamp: number }).timestamp - T, r.headers?.counted]),
        [[60 * S - 1, 'partly'], [10 * S, 'none'], [130 * S, 'partly']],
        'each late event once in ratings.late, marked whether it still counted somewhere',
      );
    } finally {
      await log.close();
    }
  });

  it('fails naming the sliding windows when their late_events do not account for the missed windows', async () => {
    const target = (await aggRows(dir, 'sliding_5min')).find((r) => Number(r.late_events) === 9);
    assert.ok(target, 'the sliding window the late events at 10 s and 130 s were attributed to');
    const undo = await tamper(target, 'late_events', '0');
    try {
      const { verify } = await runAnalytics({ dataDir: dir, verify: true });
      assert.equal(verify!.ok, false);
      const m = verify!.mismatches.find((x) => x.kind === 'unaccounted_ratings' && x.window_type === 'sliding_5min');
      assert.equal(m?.batch, 9, JSON.stringify(verify!.mismatches));
    } finally {
      undo();
    }
  });
});
