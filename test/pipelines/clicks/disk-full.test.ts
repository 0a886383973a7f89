/**
 * Clicks on a real full disk: the data dir on a small tmpfs (mounted for the test; skipped without
 * root), clicks posted over HTTP until a filler file takes the last free byte. Ingestion answers 503
 * with Retry-After and stops writing, the processor holds its checkpoint; once the filler is
 * deleted both resume by themselves, and every acknowledged click is in the log exactly once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runPipeline, pipelineGroup, type RunnerStatus } from '../../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../../src/log/types.js';
import { CLICKS_TOPIC } from '../../../src/pipelines/clicks/click-event.js';
import { clicksDeclaration } from '../../../src/pipelines/clicks/clicks-declaration.js';
import { ingesterFor } from '../../../src/pipelines/ingest.js';
import { openPipeline } from '../../../src/pipelines/registry.js';
import type { StreamrecServer } from '../../../src/server/app.js';
import { logPath } from '../../../src/util/config.js';
import { startTestServer } from '../../helpers/test-server.js';
import { mountTmpfs } from '../../helpers/tmpfs.js';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { message?: string; offsets?: { partition: number; offset: number }[] };
}

async function postClicks(base: string, n: number): Promise<Answer> {
  const body = JSON.stringify(Array.from({ length: n }, (_, i) => ({ type: i % 3 === 0 ? 'hate' : 'cheers' })));
  const res = await fetch(`${base}/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'] };
}

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (let b = await consumer.poll({ maxRecords: 10_000 }); b.length > 0; b = await consumer.poll({ maxRecords: 10_000 })) out.push(...b);
  await consumer.close();
  return out;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('clicks on a full disk', () => {
  it('answers 503 and stops writing while the disk is full, loses no acknowledged click, and resumes by itself with the processor', async (t) => {
    const fs = mountTmpfs(24);
    if (typeof fs === 'string') return t.skip(fs);
    const rateLimit = process.env.STREAMREC_CLICKS_RATE_LIMIT;
    process.env.STREAMREC_CLICKS_RATE_LIMIT = '0';
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
    const dataDir = join(fs.dir, 'data');
    mkdirSync(dataDir);
    const serverLog = openEmbeddedLog({ dataDir });
    // The processor on its own connection, as `up` runs it (a worker thread).
    const processorLog = openEmbeddedLog({ dataDir });
    const stop = new AbortController();
    let server: StreamrecServer | null = null;
    let processor: Promise<RunnerStatus> | null = null;
    try {
      let base: string;
      ({ server, base } = await startTestServer({ log: serverLog }));
      const acked = new Set<number>();
      const take = (a: Answer) => {
        if (a.status === 202) for (const o of a.body.offsets!) acked.add(o.offset);
        return a;
      };
      for (let i = 0; i < 50; i++) assert.equal(take(await postClicks(base, 100)).status, 202);
      let intended = 5000;

      fs.fill();
      // Appends may go on a little into space SQLite already holds; then the disk refuses them.
      let refused: Answer | null = null;
      for (let i = 0; i < 20_000 && refused === null; i++) {
        const a = take(await postClicks(base, 200));
        intended += 200;
        if (a.status !== 202) refused = a;
      }
      assert.ok(refused, 'a request refused');
      assert.equal(refused.status, 503);
      assert.ok(Number(refused.retryAfter) >= 1, 'Retry-After');
      assert.match(refused.body.message!, /^the event log cannot take writes \(the disk is full: SQLITE_(FULL|IOERR\w*): .*\); nothing was acknowledged: retry later$/);
      let unsent = 200;
      const ingester = ingesterFor(serverLog, clicksDeclaration)!;
      assert.equal(ingester.writeProblem?.kind, 'full');
      assert.equal(lines.filter((l) => /^streamrec: ingestion into clicks paused: the disk is full \(.*\); POSTs answer 503 with Retry-After .*it resumes by itself/.test(l)).length, 1, lines.join(''));

      // Refused at once while the disk is full: at most one append tried a second.
      const appends = ingester.commit.appends;
      const started = Date.now();
      for (let i = 0; i < 40; i++) {
        const a = await postClicks(base, 10);
        assert.equal(a.status, 503);
        unsent += 10;
        intended += 10;
      }
      const tried = ingester.commit.appends - appends;
      assert.ok(tried <= Math.ceil((Date.now() - started) / 1000) + 1, `${tried} appends tried in ${Date.now() - started} ms`);

      // The processor, started now, reads every click and cannot checkpoint: it holds on.
      const problems: ({ kind: string; message: string } | null)[] = [];
      const pipeline = await openPipeline('clicks', { dataDir, log: processorLog });
      processor = runPipeline(pipeline.spec, { log: processorLog, signal: stop.signal, onDiskProblem: (p) => problems.push(p) });
      await until(() => problems.length > 0, 'the processor to meet the full disk');
      assert.equal(problems[0]!.kind, 'full');
      assert.match(problems[0]!.message, /the event log cannot write to .*: the disk is full .*free space there/);
      assert.equal((await processorLog.committed(pipelineGroup('clicks'), CLICKS_TOPIC)).length, 0, 'no checkpoint while full');

      fs.free();
      // A client retrying what was refused gets through by itself.
      await until(async () => take(await postClicks(base, 10)).status === 202, 'ingestion to resume');
      unsent -= 10;
      while (unsent > 0) {
        const n = Math.min(200, unsent);
        assert.equal(take(await postClicks(base, n)).status, 202);
        unsent -= n;
      }
      assert.equal(ingester.writeProblem, null);
      assert.ok(lines.some((l) => /^streamrec: ingestion into clicks resumed/.test(l)), lines.join(''));
      await until(() => problems.at(-1) === null, 'the processor to checkpoint again');
      const end = async () => (await serverLog.topic(CLICKS_TOPIC))!.partitions[0]!.endOffset;
      await until(async () => (await processorLog.committed(pipelineGroup('clicks'), CLICKS_TOPIC))[0]?.offset === (await end()), 'the processor to catch up');
      stop.abort();
      const status = await processor;
      processor = null;

      const records = await readAll(serverLog, CLICKS_TOPIC);
      assert.equal(records.length, acked.size, 'no record beyond the acknowledged ones (a refused request wrote nothing)');
      assert.ok(records.every((r) => acked.has(r.offset)), 'every record was acknowledged');
      assert.equal(status.processed, acked.size, 'the processor counted every click once');
      assert.equal(acked.size, intended, 'every click a client sent (and resent after a 503) is there exactly once');
    } finally {
      process.stderr.write = write;
      stop.abort();
      await processor?.catch(() => {});
      await server?.close();
      await serverLog.close();
      await processorLog.close();
      if (rateLimit === undefined) delete process.env.STREAMREC_CLICKS_RATE_LIMIT;
      else process.env.STREAMREC_CLICKS_RATE_LIMIT = rateLimit;
    }
    try {
      const db = new Database(logPath(dataDir), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    } finally {
      fs.unmount();
    }
  });
});
