/**
 * The clicks pipeline end to end in one process: clicks posted over HTTP, old and late ones
 * appended straight to the topic, the real processor and lake sinks — and `/clicks/data` checked
 * against a brute-force count of the raw events in the topic.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../../src/log/types.js';
import { CLICKS_LATE_TOPIC, CLICKS_TOPIC, clickCodec, type Click } from '../../../src/pipelines/clicks/click-event.js';
import type { ClicksData } from '../../../src/pipelines/clicks/clicks-contract.js';
import { openPipeline, openPipelinesLake } from '../../../src/pipelines/registry.js';
import type { StreamrecServer } from '../../../src/server/app.js';
import { sseConnect, waitFor } from '../../helpers/sse-client.js';
import { startTestServer } from '../../helpers/test-server.js';
import { tempDir } from '../../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${topic}-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (;;) {
    const batch = await consumer.poll({ maxRecords: 10_000 });
    if (batch.length === 0) break;
    out.push(...batch);
  }
  await consumer.close();
  return out;
}

describe('the clicks pipeline', () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;
  let server: StreamrecServer;
  let base: string;
  const stop = new AbortController();
  let processor: Promise<unknown>;
  let lake: { finish(): Promise<void> };

  before(async () => {
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
    ({ server, base } = await startTestServer({ log, healthEveryMs: 200 }));
    const pipeline = await openPipeline('clicks', { dataDir: dir, log });
    lake = pipeline.startLake(stop.signal);
    processor = runPipeline(pipeline.spec, { log, signal: stop.signal });
  });
  after(async () => {
    stop.abort();
    await processor;
    await server.close();
    await log.close();
    cleanup();
  });

  it('serves bins and totals that match a brute-force count of the topic, late clicks included', async () => {
    const producer = log.producer();
    const t0 = Date.now();
    // Clicks of 5 minutes ago (their bins are older than the 2 minutes served).
    const old: Click[] = Array.from({ length: 30 }, (_, i) => ({ type: i % 3 ? 'cheers' : 'hate', ts: t0 - 300_000 + i * 300 }));
    await producer.send(CLICKS_TOPIC, old.map((c) => ({ value: clickCodec.encode(c), timestamp: c.ts })));

    // Live clicks over HTTP, over about 3 bins.
    const sse = sseConnect(`${base}/clicks/stream`);
    for (let round = 0; round < 6; round++) {
      const bodies = [JSON.stringify({ type: 'cheers' }), JSON.stringify([{ type: 'hate' }, { type: 'cheers' }]), JSON.stringify({ type: 'hate' })];
      const answers = await Promise.all(bodies.map((body) => fetch(`${base}/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })));
      assert.ok(answers.every((a) => a.status === 202));
      await new Promise((r) => setTimeout(r, 800));
    }
    // Late clicks: a minute behind the watermark by the time the processor reads them.
    const late: Click[] = Array.from({ length: 7 }, (_, i) => ({ type: i < 4 ? 'hate' : 'cheers', ts: Date.now() - 60_000 + i }));
    await producer.send(CLICKS_TOPIC, late.map((c) => ({ value: clickCodec.encode(c), timestamp: c.ts })));

    const raw = (await readAll(log, CLICKS_TOPIC)).map((r) => ({ offset: r.offset, click: clickCodec.decode(r.value) }));
    const brute = { cheers: raw.filter((r) => r.click.type === 'cheers').length, hate: raw.filter((r) => r.click.type === 'hate').length };
    assert.equal(raw.length, 30 + 6 * 4 + 7);

    let data: ClicksData | null = null;
    await waitFor(() => {
      void fetch(`${base}/clicks/data`).then(async (r) => (data = (await r.json()) as ClicksData));
      return data !== null && data.totals.cheers === brute.cheers && data.totals.hate === brute.hate && data.bins.every((b) => b.final);
    }, 15_000, 'totals equal to the topic and every bin final');

    const lateOffsets = new Set((await readAll(log, CLICKS_LATE_TOPIC)).map((r) => Number(r.headers!.source_offset)));
    assert.equal(lateOffsets.size, 7, 'the late clicks went to clicks.late');
    const now = Date.now();
    const expected = new Map<number, { cheers: number; hate: number }>();
    for (const { offset, click } of raw) {
      if (lateOffsets.has(offset)) continue;
      const start = Math.floor(click.ts / 2000) * 2000;
      if (start + 2000 <= now - 120_000) continue;
      const bin = expected.get(start) ?? { cheers: 0, hate: 0 };
      bin[click.type]++;
      expected.set(start, bin);
    }
    const served = data!.bins.map((b) => [Date.parse(b.bin_start), b.cheers, b.hate]);
    assert.deepEqual(served, [...expected].sort((a, b) => a[0] - b[0]).map(([start, b]) => [start, b.cheers, b.hate]));
    assert.ok(data!.bins.every((b) => Date.parse(b.bin_end) > now - 120_000 - 1000), 'no bin older than 2 minutes');
    assert.ok(data!.bins.every((b) => Date.parse(b.bin_end) - Date.parse(b.bin_start) === 2000));
    assert.ok(data!.rate_per_second >= 0 && data!.updated_at !== null);

    // The stream: a snapshot at connect, then data events, the last of which has the totals.
    await waitFor(() => sse.events.some((e) => e.event === 'data' && (JSON.parse(e.data) as ClicksData).totals.hate === brute.hate
      && (JSON.parse(e.data) as ClicksData).totals.cheers === brute.cheers), 5000, 'stream data with the totals');
    assert.equal(sse.events[0]!.event, 'snapshot');
    assert.ok(sse.events.every((e) => e.id !== null));
    sse.close();

    // The seed shape keeps the last 2 minutes' clicks only.
    const seed = (await (await fetch(`${base}/kafka/data`)).json()) as { total_cheers: number; total_hate: number; recent_events: { timestamp: number }[] };
    assert.equal(seed.total_cheers, brute.cheers);
    assert.equal(seed.total_hate, brute.hate);
    assert.equal(seed.recent_events.length, 6 * 4 + 7 - 0, 'the live and the late clicks (a minute old), not the 5-minute-old ones');
  });

  it('writes clicks_raw and clicks_agg, which openPipelinesLake and `streamrec sql` query', async () => {
    stop.abort();
    await processor;
    await lake.finish();
    const query = await openPipelinesLake(dir);
    try {
      const [rawCount] = await query.query('SELECT count(*) AS n, count(*) FILTER (WHERE type = \'hate\') AS hate FROM clicks_raw');
      assert.deepEqual(rawCount, { n: 61, hate: 10 + 12 + 4 });
      const [agg] = await query.query("SELECT sum(count) AS n, sum(cheers) AS cheers, sum(hate) AS hate FROM clicks_agg WHERE window_type = 'bins_2s'");
      assert.equal(Number(agg!.n), 61 - 7, 'every on-time click in exactly one final bin (the 7 late ones are in clicks.late)');
      assert.equal(Number(agg!.cheers) + Number(agg!.hate), 61 - 7);
    } finally {
      query.close();
    }
    const sql = spawnSync(process.execPath, [MAIN, 'sql', 'SELECT count(*) AS n FROM clicks_raw', '--json', '--data-dir', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(sql.status, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), { n: 61 });
  });
});
