/**
 * The generator loop meeting a full disk: it waits and retries the same batch (one line when it
 * pauses, one when it resumes), so every event is written exactly once; on a real tmpfs (skipped
 * without root) and with a producer failing as better-sqlite3 does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { Producer, ProducerRecord } from '../../src/log/types.js';
import { generatorDiskLine, runPaced, type DiskProblem } from '../../src/pipelines/paced-producer.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

const SQLITE_FULL = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('the paced generator on a full disk', () => {
  it('waits and sends the refused batch again: each event once, a line when it pauses and when it resumes', async () => {
    const written: string[] = [];
    let failures = 3;
    const producer: Producer = {
      send: async (_topic, records) => {
        if (written.length >= 200 && failures > 0) {
          failures--;
          throw SQLITE_FULL();
        }
        written.push(...records.map((r) => r.value as string));
        return records.map((_, i) => ({ topic: 't', partition: 0, offset: written.length - records.length + i, duplicate: false }));
      },
      close: async () => {},
    };
    const problems: (DiskProblem | null)[] = [];
    let n = 0;
    const stats = await runPaced({
      producer,
      topic: 't',
      next: () => ({ value: String(n++) }),
      rate: Infinity,
      count: 500,
      batchSize: 100,
      retryEveryMs: 10,
      onDiskProblem: (p) => problems.push(p),
    });
    assert.equal(stats.sent, 500);
    assert.deepEqual(written, Array.from({ length: 500 }, (_, i) => String(i)), 'every event once, in order');
    assert.deepEqual(problems.map((p) => p?.kind ?? null), ['full', null], 'one notice when it pauses, one when it resumes');
    assert.match(generatorDiskLine('ratings', problems[0]!), /^generator into ratings paused, nothing lost: database or disk is full$/);
    assert.match(generatorDiskLine('ratings', null), /^generator into ratings resumed/);
  });

  it('stops while waiting when its signal aborts, without writing the refused batch, and throws other errors', async () => {
    const controller = new AbortController();
    const producer: Producer = {
      send: async () => {
        setTimeout(() => controller.abort(), 20);
        throw SQLITE_FULL();
      },
      close: async () => {},
    };
    const stats = await runPaced({ producer, topic: 't', next: () => ({ value: 'x' }), rate: Infinity, count: 10, signal: controller.signal, onDiskProblem: () => {} });
    assert.equal(stats.sent, 0);
    const broken: Producer = { send: async () => Promise.reject(new Error('no such table: t1_p0')), close: async () => {} };
    await assert.rejects(runPaced({ producer: broken, topic: 't', next: () => ({ value: 'x' }), rate: Infinity, count: 10 }), /no such table/);
  });

  it('on a real full disk: pauses, then finishes once space returns, with every event in the log once', async (t) => {
    const fs = mountTmpfs(8);
    if (typeof fs === 'string') return t.skip(fs);
    const dataDir = join(fs.dir, 'data');
    mkdirSync(dataDir);
    const log = openEmbeddedLog({ dataDir });
    try {
      await log.producer().send('gen', [{ value: 'warm-up' }]);
      fs.fill();
      const problems: (DiskProblem | null)[] = [];
      let n = 0;
      const next = (): ProducerRecord => ({ value: JSON.stringify({ n: n++, pad: 'y'.repeat(300) }) });
      const run = runPaced({ producer: log.producer(), topic: 'gen', next, rate: Infinity, count: 5000, batchSize: 500, retryEveryMs: 50, onDiskProblem: (p) => problems.push(p) });
      const deadline = Date.now() + 60_000;
      while (problems.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(problems[0]?.kind, 'full', 'the generator met the full disk');
      assert.match(problems[0]!.message, /the disk is full .*free space there/);
      fs.free();
      const stats = await run;
      assert.equal(stats.sent, 5000);
      assert.deepEqual(problems.map((p) => p?.kind ?? null), ['full', null]);
      const consumer = log.consumer({ group: 'check', topics: ['gen'], from: 'earliest' });
      const seen: number[] = [];
      for (let b = await consumer.poll({ maxRecords: 5000 }); b.length > 0; b = await consumer.poll({ maxRecords: 5000 })) {
        for (const r of b) if (r.value !== 'warm-up') seen.push((JSON.parse(r.value as string) as { n: number }).n);
      }
      assert.deepEqual(seen, Array.from({ length: 5000 }, (_, i) => i), 'each event once, in order');
    } finally {
      await log.close();
      fs.unmount();
    }
  });
});
