/**
 * `streamrec tail --exit-at-end` (kcat -e): a script reads a topic to the end offsets it had when
 * tail started and gets exit code 0 — even while a writer keeps appending.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { reachedEnds } from '../../src/cli/commands/tail.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface MetaLine {
  partition: number;
  offset: number;
  value: { n: number };
}

describe('streamrec tail --exit-at-end', () => {
  it('prints every record of every partition up to the end offsets, then exits 0', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const log = openEmbeddedLog({ dataDir: dir });
      await log.createTopic('events', { partitions: 3 });
      await log.producer().send('events', Array.from({ length: 250 }, (_, n) => ({ key: `u${n % 17}`, value: JSON.stringify({ n }) })));
      await log.createTopic('empty', { partitions: 2 });
      await log.close();

      const all = run(['tail', 'events', '--from-beginning', '--exit-at-end', '--meta', '--data-dir', dir]);
      assert.equal(all.code, 0, all.stderr);
      const lines = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as MetaLine);
      assert.deepEqual(lines.map((l) => l.value.n).sort((a, b) => a - b), Array.from({ length: 250 }, (_, n) => n), 'each record once');
      assert.equal(new Set(lines.map((l) => l.partition)).size, 3);

      const values = run(['tail', 'events', '--from-beginning', '--exit-at-end', '--data-dir', dir]);
      assert.equal(values.stdout.trim().split('\n').length, 250);
      const capped = run(['tail', 'events', '--from-beginning', '--exit-at-end', '--max', '10', '--data-dir', dir]);
      assert.equal(capped.code, 0);
      assert.equal(capped.stdout.trim().split('\n').length, 10);
      const latest = run(['tail', 'events', '--exit-at-end', '--data-dir', dir]);
      assert.deepEqual([latest.code, latest.stdout], [0, ''], 'from the end: nothing to print, exits at once');
      const empty = run(['tail', 'empty', '--from-beginning', '--exit-at-end', '--data-dir', dir]);
      assert.deepEqual([empty.code, empty.stdout], [0, '']);
    } finally {
      cleanup();
    }
  });

  it('exits while a writer keeps appending, with a gapless prefix of each partition', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    let writing = true;
    try {
      await log.createTopic('busy', { partitions: 2 });
      const producer = log.producer();
      let n = 0;
      await producer.send('busy', Array.from({ length: 5000 }, () => ({ key: `k${n % 5}`, value: JSON.stringify({ n: n++ }) })));
      const writer = (async () => {
        while (writing) {
          await producer.send('busy', Array.from({ length: 50 }, () => ({ key: `k${n % 5}`, value: JSON.stringify({ n: n++ }) })));
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const child = spawn(process.execPath, [BIN, 'tail', 'busy', '--from-beginning', '--exit-at-end', '--meta', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`tail did not exit: ${stderr}`)), 60_000);
        child.on('exit', (c) => (clearTimeout(timer), res(c)));
      });
      writing = false;
      await writer;
      assert.equal(code, 0, stderr);
      const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as MetaLine);
      assert.ok(lines.length >= 5000, `${lines.length} records: at least those written before tail started`);
      for (const p of [0, 1]) {
        const offsets = lines.filter((l) => l.partition === p).map((l) => l.offset);
        assert.deepEqual(offsets, offsets.map((_, i) => i), `partition ${p}: offsets 0.. without a gap`);
      }
    } finally {
      writing = false;
      await log.close();
      cleanup();
    }
  });

  it('is at the end only when every partition is', () => {
    const ends = new Map([[0, 5], [1, 0], [2, 3]]);
    assert.equal(reachedEnds([{ topic: 't', partition: 0, offset: 5 }, { topic: 't', partition: 1, offset: 0 }, { topic: 't', partition: 2, offset: 3 }], ends), true);
    assert.equal(reachedEnds([{ topic: 't', partition: 0, offset: 5 }, { topic: 't', partition: 1, offset: 0 }, { topic: 't', partition: 2, offset: 2 }], ends), false);
    assert.equal(reachedEnds([{ topic: 't', partition: 0, offset: 5 }], ends), false, 'a partition not assigned yet is not at its end');
  });
});
