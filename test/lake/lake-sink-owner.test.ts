/**
 * One writer per lake sink group: two sinks at once (the second waits, then takes over), a sink
 * fenced after losing its lease, a crash between commit and rename, rows the table cannot hold
 * (a NUL byte in a partition value) dead-lettered, and a full disk at commit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LakeSink } from '../../src/lake/lake-sink.js';
import { lakeDir, type LakeTable } from '../../src/lake/lake-table.js';
import { acquireLease, leaseKey, LeaseLostError, type Lease } from '../../src/log/lease.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog, LogRecord, Transaction } from '../../src/log/types.js';
import { ratingCodec } from '../../src/movies/rating-event.js';
import { RAW_LAKE_GROUP, ratingsRawSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openPipelinesLake as openLakeQuery } from '../../src/pipelines/registry.js';
import { tempDir } from '../helpers/tmp.js';

const BASE = Date.parse('2025-11-10T05:00:00.000Z');
const HOUR = 3_600_000;
const TTL = 1000;

let produced = 0;

/** Appends `count` valid ratings over three hours to `ratings` (4 partitions). */
async function produce(log: EventLog, count: number): Promise<void> {
  await log.ensureTopic('ratings', { partitions: 4 });
  const producer = log.producer();
  const records = [];
  for (let i = 0; i < count; i++) {
    const n = produced++;
    records.push({ key: String(n % 97), value: ratingCodec.encode({ userId: 1 + (n % 97), movieId: 1 + ((n * 31) % 1682), rating: 0.5 + (n % 10) * 0.5, timestamp: BASE + ((n * 7919) % (3 * HOUR)) }) });
  }
  for (let i = 0; i < records.length; i += 1000) await producer.send('ratings', records.slice(i, i + 1000));
  await producer.close();
}

async function assertExactlyOnce(dataDir: string, total: number): Promise<void> {
  const lake = await openLakeQuery(dataDir);
  try {
    const [row] = await lake.query('SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS distinct_n FROM ratings_raw');
    assert.deepEqual(row, { n: total, distinct_n: total });
  } finally {
    lake.close();
  }
}

/** Files under a table's directory, relative to it. */
function files(dataDir: string, table: string): string[] {
  const root = join(lakeDir(dataDir), table);
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else out.push(relative(root, join(dir, e.name)));
    }
  };
  walk(root);
  return out.sort();
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withLog(body: (log: EventLog, dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    await body(log, dir);
  } finally {
    await log.close();
    cleanup();
  }
}

describe('lake sink: one writer per group', () => {
  it('runs a second sink of the group as a standby that takes over when the first stops; every row lands once', async () => {
    await withLog(async (log, dir) => {
      await produce(log, 3000);
      const notices: string[] = [];
      const options = { log, dataDir: dir, flushRows: 500, flushIntervalMs: 50, lease: { ttlMs: TTL }, notify: (m: string) => notices.push(m) };
      const a = ratingsRawSink(options);
      const b = ratingsRawSink(options);
      const stopA = new AbortController();
      const stopB = new AbortController();
      const runningA = a.run(stopA.signal);
      await waitFor(() => a.stats().rowsWritten > 0);
      const runningB = b.run(stopB.signal);
      await waitFor(() => notices.length > 0);
      assert.match(notices[0]!, /^lake sink lake-ratings-raw is owned by pid \d+ on .+ since .+; waiting as a standby \(takes over within 1 s of the owner stopping\)$/);
      await produce(log, 2000);
      await waitFor(() => a.stats().rowsWritten === 5000);
      assert.equal(b.stats().rowsWritten, 0, 'the standby wrote nothing while the owner ran');
      stopA.abort();
      await runningA;
      await produce(log, 1000);
      await waitFor(() => b.stats().rowsWritten === 1000);
      stopB.abort();
      await runningB;
      await a.close();
      await b.close();
      await assertExactlyOnce(dir, 6000);
      assert.ok(files(dir, 'ratings/raw').every((f) => f.endsWith('.parquet')), 'no temp files left');
    });
  });

  it('refuses the commit of a sink that lost its lease: its files are removed, nothing is committed, and it names the new owner', async () => {
    await withLog(async (log, dir) => {
      await produce(log, 2000);
      let thief: Lease | null = null;
      let temps: string[] = [];
      const stale = ratingsRawSink({
        log,
        dataDir: dir,
        flushRows: 800,
        lease: { ttlMs: TTL },
        // Between writing its files and committing, the sink is paused past its TTL and another takes over.
        beforeCommit: async (written) => {
          temps = written;
          thief ??= await acquireLease(log, leaseKey('lake', RAW_LAKE_GROUP), { ttlMs: TTL, now: () => Date.now() + 60 * TTL });
        },
      });
      await assert.rejects(stale.runOnce(), (err: unknown) => {
        assert.ok(err instanceof LeaseLostError, String(err));
        assert.match(err.message, /^lost ownership of lake sink lake-ratings-raw to pid \d+ on .+ since .+: stopping without writing$/);
        return true;
      });
      await stale.close();
      assert.ok(temps.length > 0);
      for (const t of temps) assert.match(t, /\/part-p\d-o\d+\.parquet\.[0-9a-f]{8}\.tmp$/, 'temp names carry the writer');
      assert.deepEqual(files(dir, 'ratings/raw'), [], 'the refused flush removed its files');
      assert.deepEqual(await log.committed(RAW_LAKE_GROUP, 'ratings'), [], 'nothing committed');
      await thief!.release();

      const next = ratingsRawSink({ log, dataDir: dir, lease: { ttlMs: TTL } });
      assert.equal(await next.runOnce(), 2000);
      await next.close();
      await assertExactlyOnce(dir, 2000);
    });
  });

  it('finishes, at the next start, the renames of a flush that committed and crashed before them', async () => {
    await withLog(async (log, dir) => {
      await produce(log, 1500);
      const crashing = ratingsRawSink({
        log,
        dataDir: dir,
        flushRows: 1000,
        afterCommit: () => {
          throw new Error('simulated crash after commit');
        },
      });
      await assert.rejects(crashing.runOnce(), /simulated crash after commit/);
      await crashing.close();
      assert.ok(files(dir, 'ratings/raw').every((f) => f.endsWith('.tmp')), 'committed files not yet in place');

      const restarted = ratingsRawSink({ log, dataDir: dir });
      assert.equal(await restarted.runOnce(), 500);
      assert.ok(restarted.stats().filesCompleted > 0, 'renamed the committed files');
      await restarted.close();
      await assertExactlyOnce(dir, 1500);
    });
  });

  it('sends rows the table cannot hold to <topic>.dlq with the reason (a NUL byte, a path, a number too big) and writes the others', async () => {
    await withLog(async (log, dir) => {
      interface Thing {
        name: string;
        n: number;
      }
      const table: LakeTable<Thing> = {
        path: 'things',
        columns: [
          { name: 'name', type: 'VARCHAR', get: (r) => r.name },
          { name: 'n', type: 'BIGINT', get: (r) => r.n },
        ],
        partitionBy: [{ name: 'name', get: (r) => r.name }],
      };
      const bad: [Thing, RegExp][] = [
        [{ name: 'x\u0000y', n: 1 }, /partition name: "x\\u0000y" contains a NUL byte/],
        [{ name: '../up', n: 2 }, /partition name: "\.\.\/up" contains a path separator/],
        [{ name: '..', n: 3 }, /is not a directory name/],
        [{ name: '', n: 4 }, /is empty/],
        [{ name: 'a', n: 2 ** 60 }, /lake column n \(BIGINT\): cannot store/],
      ];
      const good: Thing[] = [{ name: 'a', n: 1 }, { name: 'b', n: 2 }, { name: 'a', n: 3 }];
      const producer = log.producer();
      await producer.send('things', [...good.slice(0, 2), ...bad.map(([t]) => t), good[2]!].map((t) => ({ value: JSON.stringify(t) })));
      await producer.close();
      const sink = new LakeSink<Thing>({ log, dataDir: dir, topic: 'things', group: 'lake-things', table, decode: (r: LogRecord) => JSON.parse(r.value as string) as Thing });
      assert.equal(await sink.runOnce(), 3);
      assert.equal(sink.stats().recordsRejected, bad.length);
      assert.equal(await sink.runOnce(), 0);
      await sink.close();
      assert.deepEqual(files(dir, 'things').map((f) => f.split('/')[0]), ['name=a', 'name=b']);
      assert.equal(existsSync(join(lakeDir(dir), 'up')), false, 'nothing written outside the table');

      const dlq = log.consumer({ group: 'test-read', topics: ['things.dlq'] });
      const letters = await dlq.poll({ maxRecords: 100 });
      await dlq.close();
      assert.equal(letters.length, bad.length, 'each rejected row dead-lettered once');
      letters.forEach((letter, i) => {
        assert.deepEqual(JSON.parse(letter.value as string), bad[i]![0]);
        assert.match(letter.headers!.reason!, /^lake things: /);
        assert.match(letter.headers!.reason!, bad[i]![1]);
        assert.equal(letter.headers!.source_topic, 'things');
        assert.equal(letter.headers!.source_offset, String(i + 2));
      });
    });
  });

  it('holds its rows while the disk is full at commit, says so in one line, and writes them once when space returns', async () => {
    await withLog(async (log, dir) => {
      await produce(log, 1000);
      const full = { left: 3 };
      const notices: string[] = [];
      const sink = ratingsRawSink({ log: diskFullAtCommit(log, full), dataDir: dir, diskRetryMs: 20, notify: (m) => notices.push(m) });
      assert.equal(await sink.runOnce(), 1000);
      await sink.close();
      assert.equal(full.left, 0, 'the commit was retried until it went through');
      assert.equal(notices.length, 2, notices.join('\n'));
      assert.match(notices[0]!, /^lake ratings\/raw: cannot commit \(the disk is full: .*disk is full\); holding 1000 rows and retrying every 20 ms$/);
      assert.match(notices[1]!, /^lake ratings\/raw: the disk takes writes again; the held rows are written$/);
      await assertExactlyOnce(dir, 1000);
    });
  });
});

/** The log, with the first `full.left` commits of group offsets failing as SQLite does on a full disk. */
function diskFullAtCommit(log: EventLog, full: { left: number }): EventLog {
  return new Proxy(log, {
    get(target, prop, receiver) {
      if (prop !== 'transaction') {
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (): Transaction => {
        const tx = target.transaction();
        let offsets = false;
        return {
          send: (topic, records) => tx.send(topic, records),
          commitOffsets: (group, o) => {
            offsets = true;
            tx.commitOffsets(group, o);
          },
          putState: (ns, key, value) => tx.putState(ns, key, value),
          expectState: (ns, key, value) => tx.expectState(ns, key, value),
          abort: () => tx.abort(),
          commit: async () => {
            if (offsets && full.left > 0) {
              full.left--;
              tx.abort();
              throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
            }
            return tx.commit();
          },
        };
      };
    },
  });
}
