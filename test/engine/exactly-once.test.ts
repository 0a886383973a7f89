/**
 * The exactly-once proof: 200k ratings with 2% late events, a processor killed with SIGKILL at
 * random moments and restarted, against an uninterrupted run over identical data.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { openPipelinesLake as openLakeQuery } from '../../src/pipelines/registry.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { LatentRatingModel } from '../../src/pipelines/ratings/rating-model.js';
import { RatingSource } from '../../src/pipelines/ratings/rating-source.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');
const COUNT = 200_000;
const FROM = Date.UTC(2025, 10, 10, 6);
const SPAN = 2 * 3_600_000;
const SEED = 21;
const USERS = 3000;
const GEN = { lateFraction: 0.02, minDelayMs: 11 * 60_000, maxDelayMs: 20 * 60_000 };

async function prefill(dir: string): Promise<void> {
  const log = openEmbeddedLog({ dataDir: dir });
  const catalogue = await ensureCatalogue({ dataDir: dir, syntheticCount: 3000 });
  await generateRatings({ log, catalogue, users: USERS, seed: SEED, rate: Infinity, count: COUNT, backfill: { fromMs: FROM, spanMs: SPAN }, ...GEN });
  await log.close();
}

/** Which events the generator delayed past the 10-minute lateness: the engine must find exactly these late. */
async function generatorLateCount(dir: string): Promise<number> {
  const catalogue = await ensureCatalogue({ dataDir: dir });
  const source = new RatingSource(new LatentRatingModel({ catalogue, users: USERS, seed: SEED }), { seed: SEED + 1, ...GEN });
  let late = 0;
  for (let i = 0; i < COUNT; i++) {
    const emit = FROM + (SPAN * i) / COUNT;
    if (source.next(emit).timestamp < Math.floor(emit)) late++;
  }
  return late;
}

function processOnce(dir: string): { exited: Promise<number | null>; kill: () => void } {
  const child = spawn(process.execPath, [BIN, 'process', 'ratings', '--exit-when-idle', '--idle-timeout', '1s', '--data-dir', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((res) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(stderr);
      res(code);
    }),
  );
  return { exited, kill: () => child.kill('SIGKILL') };
}

interface Final {
  window_type: string;
  window_start: string;
  count: number;
  late_events: number;
  [k: string]: unknown;
}

async function finals(dir: string): Promise<Final[]> {
  const log = openEmbeddedLog({ dataDir: dir });
  const consumer = log.consumer({ group: 'test-read', topics: ['metrics'], from: 'earliest' });
  const out: Final[] = [];
  for (;;) {
    const batch = await consumer.poll({ maxRecords: 5000 });
    if (batch.length === 0) break;
    for (const r of batch) {
      const m = JSON.parse(r.value as string) as Final & { final: boolean; processing_time?: string };
      if (!m.final) continue;
      delete m.processing_time;
      out.push(m);
    }
  }
  await log.close();
  return out;
}

describe('exactly-once processing across kill -9', () => {
  it('gives the same final results as an uninterrupted run after 5+ SIGKILLs, with every event counted once', async () => {
    const clean = tempDir();
    const killed = tempDir();
    try {
      await prefill(clean.dir);
      await prefill(killed.dir);
      const lateExpected = await generatorLateCount(clean.dir);
      assert.ok(lateExpected > 3000 && lateExpected < 5000, `about 2% late: ${lateExpected}`);

      assert.equal(await processOnce(clean.dir).exited, 0);

      const rng = new Random(Date.now() % 100_000);
      let kills = 0;
      while (kills < 6) {
        const run = processOnce(killed.dir);
        await new Promise((r) => setTimeout(r, 250 + rng.int(0, 900)));
        run.kill();
        const code = await run.exited;
        if (code === null) kills++;
        else assert.equal(code, 0);
        if (code === 0) break; // finished before the kill: nothing left to interrupt
      }
      assert.ok(kills >= 5, `killed ${kills} times`);
      assert.equal(await processOnce(killed.dir).exited, 0);

      const expected = await finals(clean.dir);
      const actual = await finals(killed.dir);
      const byKey = (f: Final[]) => [...f].sort((a, b) => `${a.window_type}${a.window_start}`.localeCompare(`${b.window_type}${b.window_start}`));
      assert.equal(actual.length, expected.length, 'same number of final results');
      assert.deepEqual(byKey(actual), byKey(expected), 'final results equal the uninterrupted run');

      const tumbling = actual.filter((f) => f.window_type === 'tumbling_1min');
      const onTime = tumbling.reduce((s, f) => s + f.count, 0);
      const late = tumbling.reduce((s, f) => s + f.late_events, 0);
      assert.equal(late, lateExpected, 'late_events sum to the late events');
      assert.equal(onTime, COUNT - lateExpected, 'tumbling counts sum to the on-time events');
      assert.equal(new Set(tumbling.map((f) => f.window_start)).size, tumbling.length, 'one final per window');

      const lake = await openLakeQuery(killed.dir);
      try {
        const [row] = (await lake.query(
          'SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS distinct_events FROM ratings_raw',
        )) as { n: number; distinct_events: number }[];
        assert.equal(Number(row!.n), COUNT, 'every raw event in the lake');
        assert.equal(Number(row!.distinct_events), COUNT, 'each exactly once');
        const [agg] = (await lake.query("SELECT count(*) AS n FROM ratings_agg WHERE window_type = 'tumbling_1min'")) as { n: number }[];
        assert.equal(Number(agg!.n), tumbling.length, 'each final tumbling result in the lake once');
      } finally {
        lake.close();
      }
    } finally {
      clean.cleanup();
      killed.cleanup();
    }
  });
});
