/**
 * The embedded log on a real small file system (a tmpfs mounted for the test; skipped without
 * root): a full disk refuses a write whole — nothing stored, no offset, topic or cache moved — with
 * one error naming the fix, and the same write succeeds once space returns; the file stays sound.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { classifyWriteError, LogDiskError } from '../../src/log/sqlite/sqlite-errors.js';
import { FencedError, type EventLog, type LogRecord, type ProducerRecord } from '../../src/log/types.js';
import { logPath } from '../../src/util/config.js';
import { mountTmpfs, type Tmpfs } from '../helpers/tmpfs.js';

const isDiskFull = (err: unknown) =>
  err instanceof LogDiskError && err.code === 'log-disk-full' && err.httpStatus === 503 && /the disk is full \(SQLITE_FULL: .*\); free space there, and writes resume by themselves/.test(err.message);

function batch(from: number, n: number): ProducerRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${(from + i) % 7}`, value: JSON.stringify({ n: from + i, pad: 'x'.repeat(200) }) }));
}

async function endOffsets(log: EventLog, topic: string): Promise<number[]> {
  return (await log.topic(topic))!.partitions.map((p) => p.endOffset);
}

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (let b = await consumer.poll({ maxRecords: 5000 }); b.length > 0; b = await consumer.poll({ maxRecords: 5000 })) out.push(...b);
  return out;
}

describe('the embedded log on a full disk', () => {
  let fs: Tmpfs | string;
  before(() => {
    fs = mountTmpfs(8);
  });
  after(() => {
    if (typeof fs !== 'string') fs.unmount();
  });

  it('refuses a write whole while the disk is full, moves nothing, and takes the same write once space returns', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    const dataDir = join(fs.dir, 'data');
    mkdirSync(dataDir);
    let log: EventLog = openEmbeddedLog({ dataDir });
    try {
      await log.ensureTopic('events', { partitions: 3 });
      const producer = log.producer();
      let acked = 0;
      for (let i = 0; i < 20; i++) acked += (await producer.send('events', batch(acked, 100))).length;
      const tx0 = log.transaction();
      tx0.commitOffsets('g', [{ topic: 'events', partition: 0, offset: 7 }]);
      tx0.putState('ns', 'pos', 'before');
      await tx0.commit();

      fs.fill();
      // Appends may go on a little into space SQLite already holds; then the disk refuses them.
      let refused: unknown = null;
      for (let i = 0; i < 5000 && refused === null; i++) {
        try {
          acked += (await producer.send('events', batch(acked, 100))).length;
        } catch (err) {
          refused = err;
        }
      }
      assert.ok(isDiskFull(refused), `a LogDiskError, got ${String(refused)}`);
      const ends = await endOffsets(log, 'events');
      assert.equal(ends.reduce((a, b) => a + b, 0), acked, 'the refused append left no record and moved no offset');

      // A checkpoint-like transaction is refused whole too: no records, offsets or state.
      const tx = log.transaction();
      tx.send('events', batch(acked, 50));
      tx.commitOffsets('g', [{ topic: 'events', partition: 0, offset: 9 }]);
      tx.putState('ns', 'pos', 'during');
      await assert.rejects(tx.commit(), isDiskFull);
      assert.deepEqual(await endOffsets(log, 'events'), ends);
      assert.deepEqual(await log.committed('g', 'events'), [{ topic: 'events', partition: 0, offset: 7 }]);
      assert.equal(await log.getState('ns', 'pos'), 'before');
      // Creating a topic is refused, and leaves no topic behind (not even in the cache: see below).
      await assert.rejects(log.ensureTopic('created-while-full', { partitions: 2 }), isDiskFull);
      // Reads go on.
      assert.equal((await readAll(log, 'events')).length, acked);

      fs.free();
      const again = await producer.send('events', batch(acked, 100));
      for (let p = 0; p < ends.length; p++) {
        const got = again.filter((r) => r.partition === p).map((r) => r.offset);
        assert.deepEqual(got, got.map((_, i) => ends[p]! + i), `partition ${p}: offsets go on from ${ends[p]}, no gap`);
      }
      acked += again.length;
      const tx2 = log.transaction();
      tx2.send('events', batch(acked, 50));
      tx2.commitOffsets('g', [{ topic: 'events', partition: 0, offset: 9 }]);
      tx2.putState('ns', 'pos', 'after');
      await tx2.commit();
      acked += 50;
      // Another topic now takes the table id the refused creation had: a send to the refused
      // topic must create it anew, not write into the other topic's tables.
      await log.ensureTopic('created-after', { partitions: 2 });
      assert.equal(await log.ensureTopic('created-while-full', { partitions: 2 }), 2);
      await producer.send('created-while-full', [{ value: 'x', partition: 1 }]);
      assert.deepEqual(await endOffsets(log, 'created-while-full'), [0, 1]);
      assert.deepEqual(await endOffsets(log, 'created-after'), [0, 0]);

      await log.close();
      const db = new Database(logPath(dataDir), { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
      log = openEmbeddedLog({ dataDir });
      const records = await readAll(log, 'events');
      assert.equal(records.length, acked, 'every acknowledged record, after a restart');
      const numbers = records.map((r) => (JSON.parse(r.value as string) as { n: number }).n).sort((a, b) => a - b);
      assert.deepEqual(numbers, Array.from({ length: acked }, (_, i) => i), 'each once, none lost, none twice');
      assert.equal(await log.getState('ns', 'pos'), 'after');
    } finally {
      await log.close();
    }
  });

  it('opening a log on a read-only file system fails with one line naming the fix', async (t) => {
    if (typeof fs === 'string') return t.skip(fs);
    const dataDir = join(fs.dir, 'ro');
    mkdirSync(dataDir);
    const log = openEmbeddedLog({ dataDir });
    await log.producer().send('kept', [{ value: 'v' }]);
    await log.close();
    fs.remountReadOnly();
    try {
      assert.throws(() => openEmbeddedLog({ dataDir }), (err: Error) => /cannot use data directory .*: EROFS \(the file system is read-only: make it writable, or choose another --data-dir\)/.test(err.message) && !err.message.includes('\n'));
    } finally {
      fs.remountWritable();
    }
    const back = openEmbeddedLog({ dataDir });
    try {
      assert.equal((await readAll(back, 'kept')).length, 1);
    } finally {
      await back.close();
    }
  });
});

describe('the embedded log’s write errors', () => {
  it('names a full or read-only disk, and leaves every other error as it was', () => {
    const full = classifyWriteError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), '/srv/data/log/log.db');
    assert.ok(full instanceof LogDiskError);
    assert.equal(full.problem, 'full');
    assert.equal(full.retryAfterSeconds >= 1, true);
    assert.match(full.message, /^the event log cannot write to \/srv\/data\/log: the disk is full \(SQLITE_FULL: database or disk is full\)/);
    const ro = classifyWriteError(Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' }), '/srv/data/log/log.db');
    assert.ok(ro instanceof LogDiskError);
    assert.equal(ro.code, 'log-disk-read-only');
    assert.match(ro.message, /the file system is read-only .*make it writable again/);
    const erofs = classifyWriteError(Object.assign(new Error('EROFS: read-only file system, open'), { code: 'EROFS' }), '/x/log.db');
    assert.equal((erofs as LogDiskError).problem, 'read-only');
    const fenced = new FencedError('ns', 'k');
    assert.equal(classifyWriteError(fenced, '/x/log.db'), fenced);
    const other = Object.assign(new Error('no such table: t9_p0'), { code: 'SQLITE_ERROR' });
    assert.equal(classifyWriteError(other, '/x/log.db'), other);
  });

  it('acknowledges an append that committed even when the retention run after it fails', async () => {
    const { tempDir } = await import('../helpers/tmp.js');
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      // Retention deletes need disk space too: one refused after the append must not fail the
      // append (a client would retry it and write it twice).
      (log as unknown as { retention: { maybeEnforce(): void } }).retention.maybeEnforce = () => {
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      };
      const results = await log.producer().send('r', [{ value: 'a' }, { value: 'b' }]);
      assert.deepEqual(results.map((r) => r.offset), [0, 1]);
      assert.equal((await endOffsets(log, 'r'))[0], 2);
    } finally {
      await log.close();
      cleanup();
    }
  });
});
