/**
 * One owner per pipeline, with real processes on one data dir: a second `streamrec process`
 * waits as a hot standby and takes over from the owner's last checkpoint — after a clean stop,
 * after the owner is paused past its lease (SIGSTOP: the old owner's commit is then refused),
 * and after a SIGKILL — and every final result is in `metrics` and in the lake exactly once,
 * equal to one uninterrupted processor's over the same data.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { CHECKPOINT_NAMESPACE } from '../../src/engine/checkpoint.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { openPipelinesLake } from '../../src/pipelines/registry.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');
const FROM = Date.UTC(2025, 10, 10, 6);
const MINUTE = 60_000;
const USERS = 3000;
/** Short leases keep takeovers quick; the processors are told through the environment. */
const ENV = { ...process.env, STREAMREC_LEASE_TTL: '2s' };

interface Chunk {
  count: number;
  fromMs: number;
  spanMs: number;
  seed: number;
  lateFraction?: number;
}

/** Appends a chunk of ratings with the real generator (backfill: event times from `fromMs` over `spanMs`). */
async function generate(dir: string, chunk: Chunk): Promise<void> {
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    const catalogue = await ensureCatalogue({ dataDir: dir, syntheticCount: 3000 });
    await generateRatings({
      log,
      catalogue,
      users: USERS,
      seed: chunk.seed,
      rate: Infinity,
      count: chunk.count,
      backfill: { fromMs: chunk.fromMs, spanMs: chunk.spanMs },
      lateFraction: chunk.lateFraction ?? 0,
      minDelayMs: 11 * MINUTE,
      maxDelayMs: 20 * MINUTE,
    });
  } finally {
    await log.close();
  }
}

/** `count` ratings over `minutes` minutes from `fromMs`, in `parts` consecutive pieces. */
function chunks(fromMs: number, minutes: number, count: number, parts: number, seed: number): Chunk[] {
  const span = (minutes * MINUTE) / parts;
  return Array.from({ length: parts }, (_, i) => ({ count: count / parts, fromMs: fromMs + i * span, spanMs: span, seed: seed + i }));
}

interface Processor {
  child: ChildProcess;
  pid: number;
  stderr: () => string;
  /** Resolves once stderr matches. */
  says: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startProcessor(dir: string, ...flags: string[]): Processor {
  const child = spawn(process.execPath, [BIN, 'process', 'ratings', '--data-dir', dir, ...flags], { stdio: ['ignore', 'ignore', 'pipe'], env: ENV });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
  const says = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(stderr);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`pid ${child.pid} never said ${pattern}; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, pid: child.pid!, stderr: () => stderr, says, exited };
}

/** Runs a processor until it exits by itself; asserts exit code 0. */
async function processUntilIdle(dir: string): Promise<void> {
  const p = startProcessor(dir, '--exit-when-idle', '--idle-timeout', '1s');
  const { code } = await p.exited;
  assert.equal(code, 0, p.stderr());
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the pipeline's committed offsets have reached the end of the ratings topic. */
async function caughtUp(dir: string): Promise<boolean> {
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    const end = (await log.topic('ratings'))?.partitions.map((p) => p.endOffset) ?? [];
    const committed = new Map((await log.committed('pipeline.ratings', 'ratings')).map((c) => [c.partition, c.offset]));
    return end.length > 0 && end.every((e, p) => committed.get(p) === e);
  } finally {
    await log.close();
  }
}

/** End offsets of the topics a processor writes, and its checkpoint: what a refused commit must leave as it was. */
async function written(dir: string): Promise<string> {
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    const ends: Record<string, number[]> = {};
    for (const t of await log.topics()) ends[t.name] = t.partitions.map((p) => p.endOffset);
    return JSON.stringify({ ends, checkpoint: await log.getState(CHECKPOINT_NAMESPACE, 'ratings') });
  } finally {
    await log.close();
  }
}

/** What `written` says once it has not changed for 3 s (the owner's last updates and checkpoint are in). */
async function settled(dir: string): Promise<string> {
  let last = await written(dir);
  for (;;) {
    await new Promise((r) => setTimeout(r, 3000));
    const now = await written(dir);
    if (now === last) return now;
    last = now;
  }
}

type Final = Record<string, unknown> & { window_type: string; window_start: string };

/**
 * Floats to 12 significant digits. Input read while a generator still writes is merged in a
 * slightly different order than the same input read at once, and running means then differ in
 * their last bits; counts and every other field stay exact.
 */
function roundFloats(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(roundFloats);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundFloats(v)]));
  return value;
}

/**
 * The final results in `metrics`. With `exact` false (input read while it was being written):
 * without the fields that say when they were computed, and floats rounded (see roundFloats).
 */
async function finals(dir: string, exact = true): Promise<Final[]> {
  const log = openEmbeddedLog({ dataDir: dir });
  const consumer = log.consumer({ group: 'test-read', topics: ['metrics'], from: 'earliest' });
  const out: Final[] = [];
  try {
    for (;;) {
      const batch = await consumer.poll({ maxRecords: 5000 });
      if (batch.length === 0) break;
      for (const r of batch) {
        const m = JSON.parse(r.value as string) as Final & { final: boolean };
        if (!m.final) continue;
        delete m.processing_time;
        if (exact) {
          out.push(m);
        } else {
          delete m.watermark;
          delete m.max_event_time;
          out.push(roundFloats(m) as Final);
        }
      }
    }
  } finally {
    await consumer.close();
    await log.close();
  }
  return out.sort((a, b) => `${a.window_type}${a.window_start}`.localeCompare(`${b.window_type}${b.window_start}`));
}

/** Each final result once in `metrics` and once in the lake, every raw event once in the lake; returns the finals. */
async function assertExactlyOnce(dir: string, events: number, exact = true): Promise<Final[]> {
  const out = await finals(dir, exact);
  const keys = out.map((f) => `${f.window_type}@${f.window_start}`);
  assert.equal(new Set(keys).size, keys.length, 'one final result per window in metrics');
  const lake = await openPipelinesLake(dir);
  try {
    const [agg] = (await lake.query('SELECT count(*) AS n, count(DISTINCT (window_type, window_start)) AS windows FROM ratings_agg')) as { n: number; windows: number }[];
    assert.deepEqual({ n: Number(agg!.n), windows: Number(agg!.windows) }, { n: out.length, windows: out.length }, 'each final result in the lake once');
    const [raw] = (await lake.query('SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS events FROM ratings_raw')) as { n: number; events: number }[];
    assert.deepEqual({ n: Number(raw!.n), events: Number(raw!.events) }, { n: events, events }, 'every raw event in the lake once');
  } finally {
    lake.close();
  }
  return out;
}

async function stop(p: Processor): Promise<void> {
  p.child.kill('SIGTERM');
  const { code } = await p.exited;
  assert.equal(code, 0, p.stderr());
}

describe('one owner per pipeline (real processes on one data dir)', () => {
  it('runs a second processor as a hot standby while a generator fills the log; it takes over after a clean stop and every final is once in metrics and the lake', async () => {
    const live = tempDir();
    const ref = tempDir();
    const procs: Processor[] = [];
    try {
      const parts = [chunks(FROM, 20, 12_000, 1, 40), chunks(FROM + 20 * MINUTE, 20, 12_000, 6, 50), chunks(FROM + 40 * MINUTE, 20, 12_000, 6, 60)];
      const total = 36_000;
      for (const c of parts.flat()) await generate(ref.dir, c);
      await processUntilIdle(ref.dir);

      for (const c of parts[0]!) await generate(live.dir, c);
      // A long idle timeout: windows close by the watermark only, as in the one-processor run.
      const first = startProcessor(live.dir, '--idle-timeout', '60s');
      procs.push(first);
      await first.says(/processing ratings/);
      const second = startProcessor(live.dir, '--idle-timeout', '60s');
      procs.push(second);
      const standby = await second.says(/streamrec: ratings is owned by pid (\d+) on .+ since .+; waiting as a standby \(takes over within 2 s of the owner stopping\)/);
      assert.equal(Number(standby[1]), first.pid);

      // The generator keeps filling the log while both run: only the owner processes it.
      for (const c of parts[1]!) {
        await generate(live.dir, c);
        await new Promise((r) => setTimeout(r, 150));
      }
      await waitFor(() => caughtUp(live.dir), 'the owner to catch up');
      assert.doesNotMatch(second.stderr(), /processing ratings/, 'the standby did not process');
      await stop(first);

      await second.says(new RegExp(`took over ratings from pid ${first.pid} on .+ \\(epoch 2\\); resuming from its last checkpoint`));
      await second.says(/processing ratings from .+, resuming from its checkpoint \(24,000 events done\)/);
      for (const c of parts[2]!) {
        await generate(live.dir, c);
        await new Promise((r) => setTimeout(r, 150));
      }
      await waitFor(() => caughtUp(live.dir), 'the new owner to catch up');
      await stop(second);
      // The windows still open close at the end, as in the one-processor run.
      await processUntilIdle(live.dir);

      const expected = await assertExactlyOnce(ref.dir, total, false);
      const actual = await assertExactlyOnce(live.dir, total, false);
      assert.deepEqual(actual, expected, 'the same final results as one uninterrupted processor');
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
      live.cleanup();
      ref.cleanup();
    }
  });

  it('refuses the commit of an owner paused past its lease (SIGSTOP) once a standby took over: it stops naming the new owner and writes nothing', async () => {
    const live = tempDir();
    const ref = tempDir();
    const procs: Processor[] = [];
    try {
      const before = chunks(FROM, 30, 15_000, 1, 70);
      const after = chunks(FROM + 30 * MINUTE, 30, 15_000, 3, 80);
      for (const c of [...before, ...after]) await generate(ref.dir, c);
      await processUntilIdle(ref.dir);

      for (const c of before) await generate(live.dir, c);
      const old = startProcessor(live.dir, '--idle-timeout', '60s');
      procs.push(old);
      await old.says(/processing ratings/);
      const standby = startProcessor(live.dir, '--idle-timeout', '60s');
      procs.push(standby);
      await standby.says(/waiting as a standby/);
      await waitFor(() => caughtUp(live.dir), 'the owner to catch up');

      const tookOver = new RegExp(`took over ratings from pid ${old.pid} on .+ \\(epoch 2\\)`);
      // A pause that lands inside one of the owner's (sub-millisecond) log transactions holds the
      // log's write lock and stalls every writer until it ends: pause again at another moment then.
      for (let attempt = 1; ; attempt++) {
        old.child.kill('SIGSTOP');
        try {
          await standby.says(tookOver, 20_000);
          break;
        } catch (err) {
          if (attempt === 3) throw err;
          old.child.kill('SIGCONT');
          await new Promise((r) => setTimeout(r, 300));
        }
      }
      // New input while the old owner is paused: the new owner processes it …
      for (const c of after) await generate(live.dir, c);
      await waitFor(() => caughtUp(live.dir), 'the new owner to catch up');
      const state = await settled(live.dir);

      // … and the old owner, resumed, finds it lost the pipeline: nothing it holds is committed.
      old.child.kill('SIGCONT');
      const { code } = await old.exited;
      assert.equal(code, 1, old.stderr());
      assert.match(old.stderr(), new RegExp(`streamrec: lost ownership of ratings to pid ${standby.pid} on .+ since .+: stopping without writing\\n`));
      assert.doesNotMatch(old.stderr(), /\n\s+at /, 'one line, no stack');
      assert.equal(await written(live.dir), state, 'the old owner wrote nothing: no results, late events, dead letters or checkpoint');

      await stop(standby);
      await processUntilIdle(live.dir);
      const expected = await assertExactlyOnce(ref.dir, 30_000, false);
      const actual = await assertExactlyOnce(live.dir, 30_000, false);
      assert.deepEqual(actual, expected, 'the same final results as one uninterrupted processor');
    } finally {
      for (const p of procs) {
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
      live.cleanup();
      ref.cleanup();
    }
  });

  it('lets the standby finish after the owner is killed with SIGKILL, with results equal to an uninterrupted run', async () => {
    const live = tempDir();
    const ref = tempDir();
    const procs: Processor[] = [];
    try {
      // 2 % late events: their accounting must survive the takeover too.
      const data: Chunk = { count: 150_000, fromMs: FROM, spanMs: 2 * 60 * MINUTE, seed: 90, lateFraction: 0.02 };
      await generate(ref.dir, data);
      await generate(live.dir, data);
      await processUntilIdle(ref.dir);

      const owner = startProcessor(live.dir, '--exit-when-idle', '--idle-timeout', '1s');
      procs.push(owner);
      await owner.says(/processing ratings/);
      const standby = startProcessor(live.dir, '--exit-when-idle', '--idle-timeout', '1s');
      procs.push(standby);
      await standby.says(/waiting as a standby/);
      await new Promise((r) => setTimeout(r, 300 + new Random(Date.now() % 100_000).int(0, 900)));
      owner.child.kill('SIGKILL');
      assert.equal((await owner.exited).signal, 'SIGKILL', `the owner was still running: ${owner.stderr()}`);

      await standby.says(new RegExp(`took over ratings from pid ${owner.pid} on .+ \\(epoch 2\\); resuming from its last checkpoint`));
      const { code } = await standby.exited;
      assert.equal(code, 0, standby.stderr());

      const expected = await assertExactlyOnce(ref.dir, 150_000);
      const actual = await assertExactlyOnce(live.dir, 150_000);
      assert.deepEqual(actual, expected, 'the same final results as an uninterrupted run');
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
      live.cleanup();
      ref.cleanup();
    }
  });
});
