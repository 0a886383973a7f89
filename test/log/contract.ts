/**
 * The event log contract, written once and run against every adapter: each adapter's test file
 * calls `logContract` with a factory that opens a fresh, empty log.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLog, LogRecord, ProducerRecord } from '../../src/log/types.js';

export interface LogUnderTest {
  log: EventLog;
  /** Close and open the same log again (a restart). */
  reopen(): Promise<EventLog>;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Adapters that cannot delete on demand (e.g. a remote broker's own retention) skip that part. */
  retention: boolean;
  /**
   * Why the server cannot delete records on demand (librdkafka's mock has no DeleteRecords): the
   * `deleteRecords` test is skipped with this reason. Absent: it runs.
   */
  noDeleteRecords?: string;
  /**
   * The server chooses partition counts itself (librdkafka's mock has no CreateTopics and
   * auto-creates every topic with its default count): tests read the count the topic got.
   */
  serverPartitions?: boolean;
}

const text = (r: LogRecord): string => (typeof r.value === 'string' ? r.value : Buffer.from(r.value).toString());

async function drain(log: EventLog, group: string, topic: string, from: 'earliest' | 'latest' | 'committed' = 'committed') {
  const consumer = log.consumer({ group, topics: [topic], from });
  const out: LogRecord[] = [];
  for (;;) {
    const batch = await consumer.poll({ maxRecords: 1000, timeoutMs: 50 });
    if (batch.length === 0) break;
    out.push(...batch);
  }
  return { consumer, records: out };
}

export function logContract(name: string, open: () => Promise<LogUnderTest>, options: ContractOptions): void {
  describe(`event log contract: ${name}`, () => {
    let t: LogUnderTest;
    let log: EventLog;
    // Where the server chose more partitions than the one a test means, its records go to partition 0.
    const single = (records: ProducerRecord[]): ProducerRecord[] => (options.serverPartitions ? records.map((r) => ({ ...r, partition: 0 })) : records);
    before(async () => {
      t = await open();
      log = t.log;
    });
    after(async () => {
      await t.cleanup();
    });

    it('keeps order within a partition and gives dense offsets from 0 in input order', async () => {
      await log.createTopic('order', { partitions: 1 });
      const producer = log.producer();
      const first = await producer.send('order', single([{ value: 'a' }, { value: 'b' }, { value: 'c' }]));
      const second = await producer.send('order', single([{ value: 'd' }]));
      assert.deepEqual([...first, ...second].map((r) => r.offset), [0, 1, 2, 3]);
      const { records } = await drain(log, 'g-order', 'order');
      assert.deepEqual(records.map(text), ['a', 'b', 'c', 'd']);
      assert.deepEqual(records.map((r) => r.offset), [0, 1, 2, 3]);
    });

    it('sends a key to the same partition every time, and keeps per-key order', async () => {
      await log.createTopic('keyed', { partitions: 8 });
      const producer = log.producer();
      const records: ProducerRecord[] = [];
      for (let i = 0; i < 400; i++) records.push({ key: `user-${i % 40}`, value: JSON.stringify({ k: i % 40, i }) });
      const results = await producer.send('keyed', records);
      const partitionOfKey = new Map<string, number>();
      results.forEach((r, i) => {
        const k = records[i]!.key!;
        if (partitionOfKey.has(k)) assert.equal(r.partition, partitionOfKey.get(k), `key ${k} moved partition`);
        partitionOfKey.set(k, r.partition);
      });
      assert.ok(new Set(partitionOfKey.values()).size > 1, 'keys spread over partitions');
      const again = await producer.send('keyed', [{ key: 'user-7', value: 'x' }]);
      assert.equal(again[0]!.partition, partitionOfKey.get('user-7'));
      const { records: read } = await drain(log, 'g-keyed', 'keyed');
      const lastSeen = new Map<number, number>();
      for (const r of read) {
        if (text(r) === 'x') continue;
        const { k, i } = JSON.parse(text(r)) as { k: number; i: number };
        assert.ok((lastSeen.get(k) ?? -1) < i, 'per-key order kept');
        lastSeen.set(k, i);
      }
      assert.equal(read.length, 401);
    });

    it('stores values as given: text stays text, bytes stay bytes, headers and timestamps kept', async () => {
      const bytes = new Uint8Array([0, 255, 1, 128]);
      await log.producer().send('values', [
        { value: '{"a":1}', timestamp: 1234, headers: { reason: 'x' } },
        { value: bytes },
      ]);
      const { records } = await drain(log, 'g-values', 'values');
      assert.equal(records[0]!.value, '{"a":1}');
      assert.equal(records[0]!.timestamp, 1234);
      assert.deepEqual(records[0]!.headers, { reason: 'x' });
      assert.deepEqual(Buffer.from(records[1]!.value), Buffer.from(bytes));
    });

    it('resumes a consumer group from its committed offsets', async () => {
      const producer = log.producer();
      await producer.send('resume', single(Array.from({ length: 10 }, (_, i) => ({ value: String(i) }))));
      const c1 = log.consumer({ group: 'g-resume', topics: ['resume'] });
      const firstBatch = await c1.poll({ maxRecords: 4 });
      assert.deepEqual(firstBatch.map(text), ['0', '1', '2', '3']);
      await c1.commit();
      await c1.close();
      const c2 = log.consumer({ group: 'g-resume', topics: ['resume'] });
      const rest = await c2.poll({ maxRecords: 100 });
      assert.deepEqual(rest.map(text), ['4', '5', '6', '7', '8', '9']);
      const committed = (await log.committed('g-resume', 'resume')).filter((c) => c.partition === 0 || !options.serverPartitions);
      assert.deepEqual(committed, [{ topic: 'resume', partition: 0, offset: 4 }]);
    });

    it('starts a group that never committed at earliest by default, and honours earliest and latest', async () => {
      const producer = log.producer();
      await producer.send('start', single([{ value: 'old-1' }, { value: 'old-2' }]));
      const fresh = log.consumer({ group: 'g-never-committed', topics: ['start'] });
      const latest = log.consumer({ group: 'g-latest', topics: ['start'], from: 'latest' });
      const earliest = log.consumer({ group: 'g-earliest', topics: ['start'], from: 'earliest' });
      await producer.send('start', single([{ value: 'new' }]));
      assert.deepEqual((await fresh.poll()).map(text), ['old-1', 'old-2', 'new']);
      assert.deepEqual((await latest.poll()).map(text), ['new']);
      assert.deepEqual((await earliest.poll()).map(text), ['old-1', 'old-2', 'new']);
      // `earliest` ignores a commit on purpose; `committed` uses it.
      await fresh.commit([{ topic: 'start', partition: 0, offset: 2 }]);
      const again = log.consumer({ group: 'g-never-committed', topics: ['start'], from: 'earliest' });
      assert.equal((await again.poll()).length, 3);
      const resumed = log.consumer({ group: 'g-never-committed', topics: ['start'], from: 'committed' });
      assert.deepEqual((await resumed.poll()).map(text), ['new']);
    });

    it('reports end offsets and each group’s lag', async () => {
      await log.createTopic('lagged', { partitions: 2 });
      await log.producer().send('lagged', [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
        { value: 'c', partition: 1 },
      ]);
      const c = log.consumer({ group: 'g-lag', topics: ['lagged'] });
      await c.commit([
        { topic: 'lagged', partition: 0, offset: 1 },
        { topic: 'lagged', partition: 1, offset: 0 },
      ]);
      const info = await log.topic('lagged');
      // A server that chose more partitions holds nothing in the others.
      const extra = (info!.partitions.length - 2) * (options.serverPartitions ? 1 : 0);
      assert.deepEqual(info!.partitions.map((p) => p.endOffset), [2, 1, ...Array<number>(extra).fill(0)]);
      const lags = (await log.groups()).filter((g) => g.group === 'g-lag' && g.partition < 2);
      assert.deepEqual(lags.map((g) => [g.partition, g.committed, g.endOffset, g.lag]), [
        [0, 1, 2, 1],
        [1, 0, 1, 1],
      ]);
    });

    it('waits in poll for a record appended later', async () => {
      const c = log.consumer({ group: 'g-wait', topics: ['later'] });
      const pending = c.poll({ timeoutMs: 5000 });
      await sleep(50);
      await log.producer().send('later', [{ value: 'hello' }]);
      assert.deepEqual((await pending).map(text), ['hello']);
    });

    it('commits appends, group offsets and state together, or nothing on abort', async () => {
      const aborted = log.transaction();
      aborted.send('tx-out', [{ value: 'never' }]);
      aborted.putState('ckpt', 'op', 'never');
      aborted.abort();
      assert.equal(await log.getState('ckpt', 'op'), null);

      const tx = log.transaction();
      tx.send('tx-out', [{ value: 'result' }]);
      tx.commitOffsets('g-tx', [{ topic: 'tx-in', partition: 0, offset: 42 }]);
      tx.putState('ckpt', 'op', '{"sum":7}');
      const written = await tx.commit();
      assert.equal(written.length, 1);
      assert.equal(await log.getState('ckpt', 'op'), '{"sum":7}');
      assert.deepEqual(await log.committed('g-tx', 'tx-in'), [{ topic: 'tx-in', partition: 0, offset: 42 }]);
      const { records } = await drain(log, 'g-tx-read', 'tx-out');
      assert.deepEqual(records.map(text), ['result']);
      assert.throws(() => tx.send('tx-out', [{ value: 'late' }]), /already committed/);
    });

    it('fences a transaction whose expected state changed: code fenced, nothing written', async () => {
      // Two writers read the same (absent) position; both expect it.
      const first = log.transaction();
      const second = log.transaction();
      for (const [tx, v] of [[first, 'one'], [second, 'two']] as const) {
        tx.expectState('fence', 'pos', null);
        tx.send('fence-out', [{ key: 'k', value: v }]);
        tx.putState('fence', 'pos', v);
      }
      assert.equal((await first.commit()).length, 1);
      await assert.rejects(second.commit(), (err: unknown) => (err as { code?: string }).code === 'fenced');
      assert.equal(await log.getState('fence', 'pos'), 'one');
      // The loser re-reads and goes on from there.
      const retry = log.transaction();
      retry.expectState('fence', 'pos', await log.getState('fence', 'pos'));
      retry.send('fence-out', [{ key: 'k', value: 'two' }]);
      retry.putState('fence', 'pos', 'two');
      await retry.commit();
      const { records } = await drain(log, 'g-fence', 'fence-out');
      assert.deepEqual(records.map(text), ['one', 'two']);
      assert.equal(await log.getState('fence', 'pos'), 'two');
      // A stale expectation of a present value fails too.
      const stale = log.transaction();
      stale.expectState('fence', 'pos', 'one');
      stale.putState('fence', 'pos', 'three');
      await assert.rejects(stale.commit(), /another writer committed first/);
      assert.equal(await log.getState('fence', 'pos'), 'two');
    });

    it('drops records an idempotent producer already wrote', async () => {
      const producer = log.producer({ producerId: 'outbox-relay' });
      await producer.send('idem', single([{ value: 'a' }, { value: 'b' }]), { sequences: [1, 2] });
      // A relay that crashed before recording its progress sends 2 and 3 again after restart.
      const results = await producer.send('idem', single([{ value: 'b' }, { value: 'c' }]), { sequences: [2, 3] });
      assert.deepEqual(results.map((r) => r.duplicate), [true, false]);
      const { records } = await drain(log, 'g-idem', 'idem');
      assert.deepEqual(records.map(text), ['a', 'b', 'c']);
    });

    it('rejects bad topic names and partition numbers with a clear error', async () => {
      await assert.rejects(log.createTopic('bad topic!', { partitions: 1 }), /invalid topic name "bad topic!"/);
      await assert.rejects(log.createTopic('zero', { partitions: 0 }), /partitions must be an integer/);
      await log.createTopic('two', { partitions: 2 });
      const count = options.serverPartitions ? (await log.topic('two'))!.partitions.length : 2;
      await assert.rejects(log.producer().send('two', [{ value: 'x', partition: count + 3 }]), new RegExp(`partition ${count + 3} out of range 0\\.\\.${count - 1}`));
    });

    it('deletes every record a topic holds on demand: the topic stays, offsets go on, a reader behind goes on from the end', { skip: options.noDeleteRecords }, async () => {
      await log.createTopic('cleared', { partitions: 2 });
      const producer = log.producer();
      await producer.send('cleared', Array.from({ length: 10 }, (_, i) => ({ value: `old-${i}`, partition: i % 2 })));
      const behind = log.consumer({ group: 'g-cleared', topics: ['cleared'], from: 'earliest' });
      assert.equal((await behind.poll({ maxRecords: 2 })).length, 2, 'a reader part way through');
      assert.equal(await log.deleteRecords('cleared'), 10);
      const info = (await log.topic('cleared'))!;
      assert.deepEqual(info.partitions.map((p) => [p.startOffset, p.endOffset]), [[5, 5], [5, 5]]);
      const next = await producer.send('cleared', [{ value: 'new', partition: 1 }]);
      assert.equal(next[0]!.offset, 5, 'offsets are not reused');
      const fresh = await drain(log, 'g-cleared-fresh', 'cleared', 'earliest');
      assert.deepEqual(fresh.records.map(text), ['new']);
      const rest: LogRecord[] = [];
      for (let batch = await behind.poll({ timeoutMs: 50 }); batch.length > 0; batch = await behind.poll({ timeoutMs: 50 })) rest.push(...batch);
      assert.deepEqual(rest.map(text), ['new'], 'the reader behind skips what was deleted');
      await assert.rejects(log.deleteRecords('no-such-topic'), /unknown topic: no-such-topic/);
    });

    it('keeps everything across a restart', async () => {
      await log.producer().send('durable', [{ value: 'kept', key: 'k' }]);
      await log.consumer({ group: 'g-durable', topics: ['durable'] }).commit([{ topic: 'durable', partition: 0, offset: 1 }]);
      log = await t.reopen();
      const info = await log.topic('durable');
      assert.equal(info!.partitions[0]!.endOffset, 1);
      assert.deepEqual(await log.committed('g-durable', 'durable'), [{ topic: 'durable', partition: 0, offset: 1 }]);
      const next = await log.producer().send('durable', [{ value: 'more' }]);
      assert.equal(next[0]!.offset, 1);
    });

    if (options.retention) {
      it('deletes the oldest records past the size limit, keeping offsets', async () => {
        await log.createTopic('sized', { partitions: 1, retention: { maxBytes: 2500 } });
        const producer = log.producer();
        for (let b = 0; b < 5; b++) {
          await producer.send('sized', Array.from({ length: 10 }, (_, i) => ({ value: `${b}:${i}:`.padEnd(100, '.') })));
        }
        await log.enforceRetention();
        const info = (await log.topic('sized'))!.partitions[0]!;
        assert.equal(info.endOffset, 50);
        assert.ok(info.bytes <= 2500, `bytes ${info.bytes} within the limit`);
        assert.equal(info.startOffset, 30, 'whole oldest batches deleted');
        const { records } = await drain(log, 'g-sized', 'sized');
        assert.equal(records[0]!.offset, 30);
        assert.equal(records.length, 20);
        const after = await log.producer().send('sized', [{ value: 'next' }]);
        assert.equal(after[0]!.offset, 50, 'offsets are never reused');
      });

      it('deletes records older than the age limit, and a lagging consumer goes on from the oldest kept', async () => {
        await log.createTopic('aged', { partitions: 1, retention: { maxAgeMs: 400 } });
        const producer = log.producer();
        const lagging = log.consumer({ group: 'g-aged', topics: ['aged'] });
        await producer.send('aged', [{ value: 'old' }]);
        await sleep(600);
        await producer.send('aged', [{ value: 'young' }]);
        const deleted = await log.enforceRetention();
        assert.ok(deleted >= 1);
        assert.deepEqual((await lagging.poll()).map(text), ['young']);
      });
    }
  });
}
