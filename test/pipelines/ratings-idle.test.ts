/**
 * The seeds' workflow: a live generator, the ratings pipeline and the server; the generator stops
 * for twice the idle timeout and starts again. Every rating of the resumed stream must be in the
 * windows (none late), and the health routes' late counter must equal the size of `ratings.late`
 * whenever it is read — late events counted as they are committed, not when a final result
 * (minutes later, with 10 minutes of out-of-orderness) attributes them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pipelineGroup, runPipeline } from '../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../src/log/types.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import type { Catalogue } from '../../src/movies/catalogue.js';
import type { Rating } from '../../src/movies/rating-event.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { ratingsPipeline } from '../../src/pipelines/ratings/ratings-pipeline.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

const IDLE_MS = 2000;
const PER_PHASE = 600;

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  if (!(await log.topic(topic))) return [];
  const consumer = log.consumer({ group: `read-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (let b = await consumer.poll({ maxRecords: 10_000 }); b.length > 0; b = await consumer.poll({ maxRecords: 10_000 })) out.push(...b);
  await consumer.close();
  return out;
}

async function topicSize(log: EventLog, topic: string): Promise<number> {
  const info = await log.topic(topic);
  return info ? info.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0) : 0;
}

/** Σ count of the newest result (final or not) of every tumbling window in `metrics`. */
async function countedInWindows(log: EventLog): Promise<number> {
  const newest = new Map<string, number>();
  for (const r of await readAll(log, 'metrics')) {
    const m = JSON.parse(r.value as string) as { window_type: string; window_start: string; count: number };
    if (m.window_type === 'tumbling_1min') newest.set(m.window_start, m.count);
  }
  return [...newest.values()].reduce((s, n) => s + n, 0);
}

async function waitAsync(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('ratings: a live generator paused for twice the idle timeout', () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;
  let catalogue: Catalogue;
  let server: StreamrecServer;
  let base: string;
  const stop = new AbortController();
  let processor: Promise<unknown>;

  before(async () => {
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
    catalogue = await ensureCatalogue({ dataDir: dir, syntheticCount: 300 });
    ({ server, base } = await startTestServer({ log, healthEveryMs: 200 }));
    processor = runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: IDLE_MS }), { log, signal: stop.signal, checkpointIntervalMs: 200 });
  });
  after(async () => {
    stop.abort();
    await processor;
    await server.close();
    await log.close();
    cleanup();
  });

  it('counts every resumed rating in its windows, and health counts late events as ratings.late holds them', async () => {
    // Health, read all along: between two reads of the topic's size, the counter must lie between them.
    const samples: { before: number; seed: number; generic: number; after: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const before = await topicSize(log, 'ratings.late');
        const seed = ((await (await fetch(`${base}/metrics/health`)).json()) as { late_events_total: number }).late_events_total;
        const generic = ((await (await fetch(`${base}/pipelines/ratings/health`)).json()) as { late_events_total: number }).late_events_total;
        const after = await topicSize(log, 'ratings.late');
        samples.push({ before, seed, generic, after });
        await sleep(100);
      }
    })();
    const caughtUp = async () => {
      const info = await log.topic('ratings');
      const committed = await log.committed(pipelineGroup('ratings'), 'ratings');
      return info !== null && info.partitions.every((p) => committed.find((c) => c.partition === p.partition)?.offset === p.endOffset);
    };
    const generate = (seed: number, lateFraction: number) =>
      generateRatings({ log, catalogue, users: 100, seed, rate: 300, count: PER_PHASE, lateFraction, minDelayMs: 11 * 60_000, maxDelayMs: 20 * 60_000 });

    // Some ratings 11–20 minutes old among the first ones: late beyond the 10-minute out-of-orderness.
    await generate(3, 0.05);
    await waitAsync(caughtUp, 'the first ratings processed');
    // The pause: the processor sees no input for twice its idle timeout.
    await sleep(2 * IDLE_MS);
    const resumedAt = Date.now();
    await generate(4, 0);
    await waitAsync(caughtUp, 'the resumed ratings processed');

    const late = await readAll(log, 'ratings.late');
    assert.ok(late.length > 5, `the delayed ratings are late: ${late.length}`);
    const lateResumed = late.filter((r) => (JSON.parse(r.value as string) as Rating).timestamp >= resumedAt);
    assert.deepEqual(lateResumed.map((r) => r.value), [], 'no rating of the resumed stream is late');
    // A rating late for its minute is in ratings.late; every other one counts in its minute.
    await waitAsync(async () => (await countedInWindows(log)) === 2 * PER_PHASE - late.length, 'every on-time rating in the tumbling windows', 30_000);

    await waitAsync(async () => samples.length > 0 && samples.at(-1)!.before === late.length, 'a health sample after the last late rating');
    sampling = false;
    await sampler;
    for (const s of samples) {
      for (const value of [s.seed, s.generic]) assert.ok(s.before <= value && value <= s.after, `late_events_total ${value} not within ${s.before}..${s.after}`);
    }
    assert.ok(samples.length >= 20, `${samples.length} health samples`);
    assert.ok(samples.some((s) => s.seed > 0), 'late events counted before any final result attributes them');
  });
});
