import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { logPath } from '../../src/util/config.js';
import type { LogRecord } from '../../src/log/types.js';
import { tempDir } from '../helpers/tmp.js';

const CHILD = resolve(import.meta.dirname, '../helpers/log-writer-child.js');

function runWriter(dataDir: string, topic: string, writer: string, batches: number, size: number) {
  const child = spawn(process.execPath, [CHILD, dataDir, topic, writer, String(batches), String(size)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lastAck = -1;
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.startsWith('ack ')) lastAck = Number(line.slice(4));
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, lastAck: () => lastAck };
}

function parse(r: LogRecord): { writer: string; seq: number } {
  return JSON.parse(r.value as string) as { writer: string; seq: number };
}

describe('embedded log shared by several processes', () => {
  it('two writer processes append to one data dir while a reader in a third follows them', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const log = openEmbeddedLog({ dataDir: dir });
      await log.ensureTopic('shared', { partitions: 3 });
      const consumer = log.consumer({ group: 'reader', topics: ['shared'] });
      const a = runWriter(dir, 'shared', 'a', 40, 250);
      const b = runWriter(dir, 'shared', 'b', 40, 250);
      const seen = { a: [] as number[], b: [] as number[] };
      const lastPerKey = new Map<string, number>();
      const done = Promise.all([a.exited, b.exited]);
      let finished = false;
      void done.then(() => (finished = true));
      for (;;) {
        const batch = await consumer.poll({ maxRecords: 2000, timeoutMs: 100 });
        for (const r of batch) {
          const { writer, seq } = parse(r);
          seen[writer as 'a' | 'b'].push(seq);
          // Within a partition, one writer's records for one key arrive in the order written.
          const k = `${r.partition}:${r.key}`;
          assert.ok((lastPerKey.get(k) ?? -1) < seq, `order kept for ${k}`);
          lastPerKey.set(k, seq);
        }
        if (finished && batch.length === 0) break;
      }
      assert.deepEqual(await done, [0, 0]);
      for (const w of ['a', 'b'] as const) {
        assert.equal(seen[w].length, 10_000, `all of writer ${w}'s records read`);
        assert.equal(new Set(seen[w]).size, 10_000, `no duplicates from writer ${w}`);
      }
      const info = await log.topic('shared');
      assert.equal(info!.partitions.reduce((s, p) => s + p.endOffset, 0), 20_000);
      await log.close();
    } finally {
      cleanup();
    }
  });

  it('keeps every acknowledged append of a writer killed with SIGKILL mid-batch, and opens clean', async () => {
    const { dir, cleanup } = tempDir();
    try {
      for (let round = 0; round < 3; round++) {
        const w = runWriter(dir, 'killed', `k${round}`, 100_000, 2000);
        // Let it acknowledge a few batches, then kill it at an arbitrary moment inside a later one.
        while (w.lastAck() < 6000) await new Promise((r) => setTimeout(r, 5));
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 40)));
        w.child.kill('SIGKILL');
        assert.equal(await w.exited, null);
        const acked = w.lastAck();

        const db = new Database(logPath(dir), { readonly: true });
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
        db.close();

        const log = openEmbeddedLog({ dataDir: dir });
        const consumer = log.consumer({ group: `check-${round}`, topics: ['killed'], from: 'earliest' });
        const seqs: number[] = [];
        for (;;) {
          const batch = await consumer.poll({ maxRecords: 10_000 });
          if (batch.length === 0) break;
          for (const r of batch) {
            const { writer, seq } = parse(r);
            if (writer === `k${round}`) seqs.push(seq);
          }
        }
        seqs.sort((x, y) => x - y);
        assert.ok(seqs.length >= acked + 1, `round ${round}: ${seqs.length} records read, ${acked + 1} acknowledged`);
        // A batch is all or nothing: whole batches of 2000, numbered 0..n-1 without a gap.
        assert.equal(seqs.length % 2000, 0, 'no torn batch');
        seqs.forEach((s, i) => assert.equal(s, i));
        // Offsets stay dense after the crash: the next append continues where the log ends.
        const info = (await log.topic('killed'))!;
        for (const p of info.partitions) {
          const c = log.consumer({ group: `dense-${round}-${p.partition}`, topics: ['killed'], from: 'earliest',
            partitions: [{ topic: 'killed', partition: p.partition }] });
          let expected = 0;
          for (;;) {
            const batch = await c.poll({ maxRecords: 10_000 });
            if (batch.length === 0) break;
            for (const r of batch) assert.equal(r.offset, expected++);
          }
          assert.equal(expected, p.endOffset);
        }
        await log.close();
      }
    } finally {
      cleanup();
    }
  });
});
