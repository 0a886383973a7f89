/**
 * `streamrec reset <pipeline>` with real processes on a real data dir: after a reset and a
 * reprocess, every result exists once — in the output topics, in the totals the server shows
 * (clicks: `clicks.bins` + `clicks.late`) and in the lake — and the lake copy of the source is
 * kept. `--keep-lake` leaves the lake and says what that does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { acquireLease } from '../../src/log/lease.js';
import { spawn } from 'node:child_process';
import type { EventLog } from '../../src/log/types.js';
import { CLICKS_BINS_TOPIC, CLICKS_TOPIC, clickCodec } from '../../src/pipelines/clicks/click-event.js';
import type { ClicksData } from '../../src/pipelines/clicks/clicks-contract.js';
import { openPipelinesLake } from '../../src/pipelines/registry.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** 300 clicks over a minute of the past, in order; 6 of them late (20 s behind); one malformed record. */
async function appendClicks(log: EventLog): Promise<{ clicks: number; hate: number }> {
  const t0 = Date.now() - 10 * 60_000;
  const records = [];
  let hate = 0;
  for (let i = 0; i < 300; i++) {
    const late = i % 50 === 49;
    const type = i % 4 === 0 ? 'hate' : 'cheers';
    if (type === 'hate') hate++;
    const ts = t0 + i * 200 - (late ? 20_000 : 0);
    records.push({ value: clickCodec.encode({ type, ts }), timestamp: ts });
  }
  records.splice(150, 0, { value: '{"type":"boo"}', timestamp: t0 });
  await log.ensureTopic(CLICKS_TOPIC, { partitions: 1 });
  await log.producer().send(CLICKS_TOPIC, records);
  return { clicks: 300, hate };
}

async function topicSize(log: EventLog, topic: string): Promise<number> {
  const info = await log.topic(topic);
  return info ? info.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0) : 0;
}

async function lakeCounts(dir: string): Promise<{ raw: number; agg: number; aggClicks: number }> {
  const query = await openPipelinesLake(dir);
  try {
    const [raw] = await query.query('SELECT count(*) AS n FROM clicks_raw');
    const [agg] = await query.query('SELECT count(*) AS n, coalesce(sum(count), 0) AS clicks FROM clicks_agg');
    return { raw: Number(raw!.n), agg: Number(agg!.n), aggClicks: Number(agg!.clicks) };
  } finally {
    query.close();
  }
}

/** What the server shows after a (re)start: the totals ClicksView builds from the topics. */
async function serverTotals(log: EventLog): Promise<ClicksData['totals']> {
  const { server, base } = await startTestServer({ log });
  try {
    const deadline = Date.now() + 30_000;
    let data: ClicksData | null = null;
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/clicks/data`);
      if (res.status === 200) {
        data = (await res.json()) as ClicksData;
        if (data.totals.cheers + data.totals.hate >= 300) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return data!.totals;
  } finally {
    await server.close();
  }
}

function processClicks(dir: string): void {
  const r = run(['process', 'clicks', '--exit-when-idle', '--idle-timeout', '1s', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
}

describe('streamrec reset', () => {
  it('empties the outputs and the lake filled from them: a reprocess writes every result once, and the server totals are right', async () => {
    const { dir, cleanup } = tempDir();
    try {
      let log = openEmbeddedLog({ dataDir: dir });
      const sent = await appendClicks(log);
      await log.close();
      processClicks(dir);
      log = openEmbeddedLog({ dataDir: dir });
      const first = { bins: await topicSize(log, CLICKS_BINS_TOPIC), late: await topicSize(log, 'clicks.late'), dlq: await topicSize(log, 'clicks.dlq') };
      assert.ok(first.bins > 0 && first.late > 0 && first.dlq === 1, JSON.stringify(first));
      const lake1 = await lakeCounts(dir);
      assert.equal(lake1.raw, 300);
      assert.equal(lake1.aggClicks + first.late, 300, 'the lake holds every on-time click once');
      await log.close();

      const reset = run(['reset', 'clicks', '--data-dir', dir]);
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(reset.stderr, /^streamrec: reset clicks: its next run starts at the earliest offset \(checkpoint and group pipeline\.clicks dropped\)\n/);
      assert.match(reset.stderr, new RegExp(`emptied its topics: clicks\\.bins \\(${first.bins} records\\), clicks\\.late \\(${first.late} records\\), clicks\\.dlq \\(1 record\\)`));
      assert.match(reset.stderr, /emptied lake table clicks\/agg \(\d+ files\): its sink writes it again from the next run's results/);
      assert.match(reset.stderr, /kept lake table clicks\/raw: a copy of the source topic, which reprocessing does not change/);
      assert.equal((await lakeCounts(dir)).agg, 0, 'the lake table is empty right after');

      processClicks(dir);
      log = openEmbeddedLog({ dataDir: dir });
      try {
        assert.deepEqual(
          { bins: await topicSize(log, CLICKS_BINS_TOPIC), late: await topicSize(log, 'clicks.late'), dlq: await topicSize(log, 'clicks.dlq') },
          first,
          'the reprocess wrote the same results, once',
        );
        assert.deepEqual(await lakeCounts(dir), lake1, 'the lake as after the first run: the results once, the raw copy kept');
        assert.deepEqual(await serverTotals(log), { cheers: sent.clicks - sent.hate, hate: sent.hate }, 'the totals count every click once');
      } finally {
        await log.close();
      }

      // --keep-lake: the lake stays as it is, and the message says what the next run does to it.
      const files = (d: string): number => readdirSync(d, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;
      const aggFiles = files(join(dir, 'lake', 'clicks', 'agg'));
      const keep = run(['reset', 'clicks', '--keep-lake', '--data-dir', dir]);
      assert.equal(keep.code, 0, keep.stderr);
      assert.match(keep.stderr, /kept lake table clicks\/agg \(--keep-lake\): the next run's results are added to it, so it will hold each window twice/);
      assert.equal(files(join(dir, 'lake', 'clicks', 'agg')), aggFiles);
    } finally {
      cleanup();
    }
  });

  it('says so when a pipeline never ran, and names an unknown pipeline', () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = run(['reset', 'clicks', '--data-dir', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^streamrec: reset clicks: it had no checkpoint; its next run starts at the earliest offset\n/);
      assert.doesNotMatch(r.stderr, /emptied its topics/);
      const unknown = run(['reset', 'nope', '--data-dir', dir]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /unknown pipeline: nope/);
    } finally {
      cleanup();
    }
  });

  it('refuses while a processor owns the pipeline, naming it, and clears nothing', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await appendClicks(log);
      // A live owner of the clicks pipeline (as a running `process clicks` holds it).
      const lease = await acquireLease(log, 'pipeline:clicks', { label: 'clicks', standby: false });
      assert.ok(lease);
      const child = spawn(process.execPath, [BIN, 'reset', 'clicks', '--data-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`clicks is owned by pid ${process.pid}`));
      assert.match(stderr, /stop it first/);
      assert.equal(await topicSize(log, CLICKS_TOPIC), 301, 'the source is untouched');
      await lease.release();
    } finally {
      await log.close();
      cleanup();
    }
  });
});
