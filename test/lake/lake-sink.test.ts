import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { openPipelinesLake as openLakeQuery } from '../../src/pipelines/registry.js';
import { LAKE_FILE_RE, lakeDir } from '../../src/lake/lake-table.js';
import { RAW_LAKE_GROUP, ratingsRawSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { ratingCodec, type Rating } from '../../src/movies/rating-event.js';
import { tempDir } from '../helpers/tmp.js';

const CHILD = resolve(import.meta.dirname, '../helpers/lake-sink-child.js');
const BASE = Date.parse('2025-11-10T05:00:00.000Z');
const HOUR = 3_600_000;

interface Sent extends Rating {
  partition: number;
  offset: number;
}

/** Sends `count` valid ratings spread over `hours` hours after `from` (plus a few invalid ones). */
async function produceRatings(log: EventLog, count: number, from: number, hours: number, seed: number): Promise<Sent[]> {
  await log.ensureTopic('ratings', { partitions: 4 });
  const producer = log.producer();
  const ratings: Rating[] = [];
  for (let i = 0; i < count; i++) {
    const x = (i * 7919 + seed * 104_729) % 100_003;
    ratings.push({
      userId: 1 + (x % 97),
      movieId: 1 + ((x * 31) % 1_682),
      rating: 0.5 + (x % 10) * 0.5,
      timestamp: from + Math.floor((i * hours * HOUR) / count),
    });
  }
  const sent: Sent[] = [];
  for (let i = 0; i < ratings.length; i += 500) {
    const batch = ratings.slice(i, i + 500);
    const results = await producer.send(
      'ratings',
      batch.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r) })),
    );
    results.forEach((m, j) => sent.push({ ...batch[j]!, partition: m.partition, offset: m.offset }));
    // Invalid records are skipped by the sink (the processor sends them to the dead-letter topic).
    await producer.send('ratings', [
      { key: '1', value: '{"userId":1,"movieId":2,"rating":7,"timestamp":1}' },
      { key: '2', value: 'not json' },
    ]);
  }
  await producer.close();
  return sent;
}

async function assertLakeHoldsExactly(dataDir: string, sent: Sent[]): Promise<void> {
  const lake = await openLakeQuery(dataDir);
  try {
    const [totals] = await lake.query(
      'SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS distinct_n, count(*) FILTER (WHERE epoch_ms(event_time) <> "timestamp") AS bad_time FROM ratings_raw',
    );
    assert.deepEqual(totals, { n: sent.length, distinct_n: sent.length, bad_time: 0 });
    const rows = await lake.query('SELECT * EXCLUDE (event_time) FROM ratings_raw ORDER BY source_partition, source_offset');
    const expected = [...sent]
      .sort((a, b) => a.partition - b.partition || a.offset - b.offset)
      .map((s) => {
        const iso = new Date(s.timestamp).toISOString();
        return {
          userId: s.userId,
          movieId: s.movieId,
          rating: s.rating,
          timestamp: s.timestamp,
          source_partition: s.partition,
          source_offset: s.offset,
          date: iso.slice(0, 10),
          hour: Number(iso.slice(11, 13)),
        };
      });
    assert.deepEqual(rows, expected);
  } finally {
    lake.close();
  }
}

function lakeFiles(dataDir: string): string[] {
  const root = join(lakeDir(dataDir), 'ratings', 'raw');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  walk(root);
  return out.sort();
}

describe('lake sink: ratings/raw', () => {
  it('writes every event exactly once into date/hour partitions, and only new ones on the next run', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const sent = await produceRatings(log, 3000, BASE, 5, 1);
      const sink = ratingsRawSink({ log, dataDir: dir, flushRows: 1000 });
      assert.equal(await sink.runOnce(), 3000);
      assert.ok(sink.stats().flushes >= 3, 'flushes every 1000 rows');
      assert.equal(sink.stats().recordsSkipped, 12);
      await assertLakeHoldsExactly(dir, sent);

      // Hive layout: date=YYYY-MM-DD/hour=HH/part-p<p>-o<o>.parquet, one hour dir per hour spanned.
      const files = lakeFiles(dir);
      for (const f of files) assert.match(f, /^date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/part-p\d-o\d+\.parquet$/);
      const hourDirs = new Set(files.map((f) => f.slice(0, f.lastIndexOf('/'))));
      const expectedDirs = new Set(sent.map((s) => new Date(s.timestamp).toISOString()).map((t) => `date=${t.slice(0, 10)}/hour=${t.slice(11, 13)}`));
      assert.deepEqual([...hourDirs].sort(), [...expectedDirs].sort());
      assert.equal(expectedDirs.size, 5);

      const lake = await openLakeQuery(dir);
      try {
        const perHour = await lake.query('SELECT date, hour, count(*) AS n FROM ratings_raw GROUP BY ALL ORDER BY ALL');
        assert.deepEqual(perHour.map((r) => r.hour), [5, 6, 7, 8, 9]);
        assert.equal(perHour.reduce((s, r) => s + (r.n as number), 0), 3000);
        assert.ok(perHour.every((r) => r.date === '2025-11-10'));
        // Hive keys live in the directory names only.
        const one = join(lakeDir(dir), 'ratings', 'raw', files[0]!);
        const cols = await lake.query(`SELECT name FROM parquet_schema('${one}') WHERE name <> 'duckdb_schema'`);
        assert.deepEqual(
          cols.map((c) => c.name),
          ['userId', 'movieId', 'rating', 'timestamp', 'event_time', 'source_partition', 'source_offset'],
        );
      } finally {
        lake.close();
      }

      // More events, across midnight: only they are added, in new date dirs too.
      const more = await produceRatings(log, 1000, Date.parse('2025-11-10T22:30:00.000Z'), 3, 2);
      assert.equal(await sink.runOnce(), 1000);
      assert.equal(await sink.runOnce(), 0);
      await sink.close();
      await assertLakeHoldsExactly(dir, [...sent, ...more]);
      assert.ok(lakeFiles(dir).some((f) => f.startsWith('date=2025-11-11/hour=01/')));

      // A restarted sink (same group) finds nothing new and removes nothing.
      const again = ratingsRawSink({ log, dataDir: dir });
      assert.equal(await again.runOnce(), 0);
      assert.equal(again.stats().filesRecovered, 0);
      await again.close();
      const committed = await log.committed(RAW_LAKE_GROUP, 'ratings');
      const end = (await log.topic('ratings'))!.partitions.map((p) => p.endOffset);
      assert.deepEqual(
        committed.map((c) => c.offset),
        end,
      );
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('run() follows the topic, flushes by size and by age, and flushes on abort', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const sent = await produceRatings(log, 1500, BASE, 2, 3);
      const sink = ratingsRawSink({ log, dataDir: dir, flushRows: 400, flushIntervalMs: 100 });
      const controller = new AbortController();
      const running = sink.run(controller.signal);
      await waitFor(async () => (await committedTotal(log)) === 1500 + 6);
      assert.ok(sink.stats().flushes >= 4, 'size-triggered flushes of at most ~400 rows');
      const more = await produceRatings(log, 50, BASE + 3 * HOUR, 1, 4);
      // Below flushRows: the age trigger writes these.
      await waitFor(async () => sink.stats().rowsWritten === 1550);
      controller.abort();
      await running;
      await sink.close();

      // Neither trigger fires within the test: only the abort writes these.
      const lazy = ratingsRawSink({ log, dataDir: dir, flushRows: 1_000_000, flushIntervalMs: 3_600_000 });
      const stop = new AbortController();
      const following = lazy.run(stop.signal);
      const last = await produceRatings(log, 10, BASE + 4 * HOUR, 1, 5);
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(lazy.stats().rowsWritten, 0);
      stop.abort();
      await following;
      await lazy.close();
      assert.equal(lazy.stats().rowsWritten, 10);
      await assertLakeHoldsExactly(dir, [...sent, ...more, ...last]);
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('rewrites exactly the rows of a flush that wrote its files but did not commit', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const sent = await produceRatings(log, 2000, BASE, 3, 6);
      let flushes = 0;
      const crashing = ratingsRawSink({
        log,
        dataDir: dir,
        flushRows: 700,
        beforeCommit: () => {
          if (++flushes === 2) throw new Error('simulated crash before commit');
        },
      });
      await assert.rejects(crashing.runOnce(), /simulated crash/);
      await crashing.close();
      // The second flush's files are written but uncommitted: under temporary names, which readers never see.
      const lake = await openLakeQuery(dir);
      const [{ n }] = (await lake.query('SELECT count(*) AS n FROM ratings_raw')) as [{ n: number }];
      lake.close();
      assert.equal(n, 700, 'only the committed flush is visible');
      assert.ok(lakeFiles(dir).some((f) => f.endsWith('.tmp')), 'the uncommitted flush left temp files');

      const more = await produceRatings(log, 300, BASE + HOUR, 1, 7);
      const restarted = ratingsRawSink({ log, dataDir: dir, flushRows: 1000 });
      await restarted.runOnce();
      assert.ok(restarted.stats().filesRecovered > 0);
      await restarted.close();
      await assertLakeHoldsExactly(dir, [...sent, ...more]);
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('never duplicates or loses a row when killed with SIGKILL at random moments', async (t) => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const sent = await produceRatings(log, 6000, BASE, 6, 8);
      let recovered = 0;
      for (let round = 0; round < 6; round++) {
        sent.push(...(await produceRatings(log, 1500, BASE + round * HOUR, 2, 10 + round)));
        recovered += await runChildUntilKilled(dir, 1 + Math.floor(Math.random() * 4), Math.floor(Math.random() * 25));
      }
      // And once surely between a flush's files and its commit.
      sent.push(...(await produceRatings(log, 1500, BASE, 1, 20)));
      recovered += await runChildUntilKilled(dir, 2, 0, 2);
      const sink = ratingsRawSink({ log, dataDir: dir });
      await sink.runOnce();
      recovered += sink.stats().filesRecovered;
      await sink.close();
      await assertLakeHoldsExactly(dir, sent);
      for (const f of lakeFiles(dir)) assert.match(f.slice(f.lastIndexOf('/') + 1), LAKE_FILE_RE, 'no temp files left');
      t.diagnostic(`uncommitted files removed at restarts: ${recovered}`);
      assert.ok(recovered > 0, 'some kill landed between writing files and committing');
    } finally {
      await log.close();
      cleanup();
    }
  });
});

/**
 * Runs the child sink and kills it with SIGKILL `delayMs` after its `afterFlushes`-th flush line
 * (that flush holding before its commit when `holdAt` says so); returns the files it recovered at start.
 */
function runChildUntilKilled(dataDir: string, afterFlushes: number, delayMs: number, holdAt?: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const args = [CHILD, dataDir, '300', ...(holdAt === undefined ? [] : [String(holdAt)])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let flushes = 0;
    let killing = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      flushes = (out.match(/^flush /gm) ?? []).length;
      if (!killing && flushes >= afterFlushes) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') return reject(new Error(`child exited with ${code}/${signal}: ${err}`));
      const m = /start recovered=(\d+)/.exec(out);
      resolvePromise(m ? Number(m[1]) : 0);
    });
  });
}

async function committedTotal(log: EventLog): Promise<number> {
  return (await log.committed(RAW_LAKE_GROUP, 'ratings')).reduce((s, c) => s + c.offset, 0);
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
