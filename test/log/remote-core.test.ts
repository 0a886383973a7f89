/**
 * What the remote log core adds beyond the contract, over the in-memory broker: several processes
 * on one server deciding the same way, a writer that died between its outputs and its decision,
 * records past the servers' message limit, and leases.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLease, LeaseHeldError, leaseKey } from '../../src/log/lease.js';
import { COORDINATION_TOPIC, CHUNK_BYTES } from '../../src/log/remote/coordination-record.js';
import { CoordinationView } from '../../src/log/remote/coordination-view.js';
import { TX_HEADER } from '../../src/log/remote/record-headers.js';
import { RemoteLog } from '../../src/log/remote/remote-log.js';
import { FencedError } from '../../src/log/types.js';
import { MemoryBroker, MemoryBrokerStore } from './memory-broker.js';
import { readAll, text } from './read-all.js';

describe('remote log core', () => {
  it('decides a race of two processes the same way in both: one commits, the other is fenced and its outputs never show', async () => {
    const store = new MemoryBrokerStore();
    const a = new RemoteLog(new MemoryBroker(store));
    const b = new RemoteLog(new MemoryBroker(store));
    const txs = [a, b].map((log, i) => {
      const tx = log.transaction();
      tx.expectState('relay', 'pos', null);
      tx.send('out', [{ value: `from-${i}` }]);
      tx.putState('relay', 'pos', String(i));
      return tx;
    });
    // Both write their outputs before either decides: the order in the coordination log decides.
    const results = await Promise.allSettled(txs.map((tx) => tx.commit()));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(lost.reason instanceof FencedError);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    assert.equal(await a.getState('relay', 'pos'), String(winner));
    assert.equal(await b.getState('relay', 'pos'), String(winner));
    assert.deepEqual(await readAll(a, 'out', 'ga'), [`from-${winner}`]);
    assert.deepEqual(await readAll(b, 'out', 'gb'), [`from-${winner}`]);
    // A third process starting later replays to the same view.
    const c = new RemoteLog(new MemoryBroker(store));
    assert.equal(await c.getState('relay', 'pos'), String(winner));
    assert.deepEqual(await readAll(c, 'out', 'gc'), [`from-${winner}`]);
  });

  it('holds readers at the outputs of a writer that died before deciding, then aborts it after the timeout and reads on', async () => {
    const store = new MemoryBrokerStore();
    const broker = new MemoryBroker(store);
    const log = new RemoteLog(broker, { txTimeoutMs: 300 });
    await log.producer().send('held', [{ value: 'before' }]);
    // A writer wrote its output and died: no transaction record follows.
    await broker.append('held', 0, [{ key: null, value: 'orphan', timestamp: Date.now(), headers: { [TX_HEADER]: 'dead-tx' } }]);
    await log.producer().send('held', [{ value: 'after' }]);
    const consumer = log.consumer({ group: 'g-held', topics: ['held'] });
    assert.deepEqual((await consumer.poll({ timeoutMs: 100 })).map(text), ['before']);
    assert.deepEqual((await consumer.poll({ timeoutMs: 100 })).map(text), [], 'the undecided record holds the partition');
    const started = Date.now();
    const rest: string[] = [];
    while (rest.length === 0 && Date.now() - started < 5000) rest.push(...(await consumer.poll({ timeoutMs: 100 })).map(text));
    assert.deepEqual(rest, ['after'], 'the orphan is skipped once aborted, the record behind it shows');
    // The writer coming back late finds its transaction aborted.
    const coordination = store.topics.get(COORDINATION_TOPIC)![0]!.records.map((r) => JSON.parse(r.value as string) as { t: string; id?: string });
    assert.ok(coordination.some((r) => r.t === 'abort' && r.id === 'dead-tx'));
  });

  it('aborts a transaction at once when its outputs fail part way: readers skip them without waiting', async () => {
    const store = new MemoryBrokerStore();
    class FlakyBroker extends MemoryBroker {
      override async append(topic: string, partition: number, records: Parameters<MemoryBroker['append']>[2]): Promise<number> {
        if (topic === 'flaky' && partition === 1) throw new Error('partition 1 is down');
        return super.append(topic, partition, records);
      }
    }
    const log = new RemoteLog(new FlakyBroker(store));
    await log.createTopic('flaky', { partitions: 2 });
    const tx = log.transaction();
    tx.send('flaky', [{ value: 'half', partition: 0 }, { value: 'lost', partition: 1 }]);
    tx.putState('ckpt', 'flaky', 'never');
    await assert.rejects(tx.commit(), /partition 1 is down/);
    await log.producer().send('flaky', [{ value: 'next', partition: 0 }]);
    const consumer = log.consumer({ group: 'g-flaky', topics: ['flaky'], partitions: [{ topic: 'flaky', partition: 0 }] });
    assert.deepEqual((await consumer.poll({ timeoutMs: 1000 })).map(text), ['next'], 'the written half is skipped at once (the timeout is 60 s)');
    assert.equal(await log.getState('ckpt', 'flaky'), null);
    await assert.rejects(log.producer().send('flaky', [{ value: 1 as unknown as string }]), /record 0 has no string or bytes value/);
  });

  it('throws a failed assignment read from poll (never unhandled) and reads it again at the next poll', async () => {
    let down = true;
    class DownBroker extends MemoryBroker {
      override async partitions(name: string): Promise<number | null> {
        if (down) throw new Error('server unreachable');
        return super.partitions(name);
      }
    }
    const store = new MemoryBrokerStore();
    await new RemoteLog(new MemoryBroker(store)).producer().send('flappy', [{ value: 'x' }]);
    const consumer = new RemoteLog(new DownBroker(store)).consumer({ group: 'g-down', topics: ['flappy'] });
    await sleep(10);
    await assert.rejects(consumer.poll(), /server unreachable/);
    down = false;
    assert.deepEqual((await consumer.poll({ timeoutMs: 1000 })).map(text), ['x']);
  });

  it('splits a coordination record past the message limit into chunks and puts it back together', async () => {
    const store = new MemoryBrokerStore();
    const log = new RemoteLog(new MemoryBroker(store));
    const big = 'é'.repeat(700_000) + 'x'.repeat(600_000);
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const tx = log.transaction();
    tx.putState('ckpt', 'big', big);
    tx.putState('ckpt', 'bytes', bytes);
    tx.send('big-out', [{ value: 'done' }]);
    await tx.commit();
    const sizes = store.topics.get(COORDINATION_TOPIC)![0]!.records.map((r) => Buffer.byteLength(r.value as string));
    assert.ok(sizes.length > 2, `${sizes.length} coordination records`);
    assert.ok(Math.max(...sizes) <= CHUNK_BYTES + 200, `largest coordination record ${Math.max(...sizes)} bytes`);
    const other = new RemoteLog(new MemoryBroker(store));
    assert.equal(await other.getState('ckpt', 'big'), big);
    assert.deepEqual(Buffer.from((await other.getState('ckpt', 'bytes')) as Uint8Array), Buffer.from(bytes));
    assert.deepEqual(await readAll(other, 'big-out', 'g-big'), ['done']);
  });

  it('snapshots the view and trims the coordination log behind it; a new process and one left behind both start from the snapshot', async () => {
    const store = new MemoryBrokerStore();
    const behind = new RemoteLog(new MemoryBroker(store), { snapshotEvery: 0 });
    assert.equal(await behind.getState('s', 'k'), null, 'a process that replayed the start, then stopped looking');
    const log = new RemoteLog(new MemoryBroker(store), { snapshotEvery: 10 });
    const idem = log.producer({ producerId: 'relay' });
    await idem.send('snap-out', [{ value: 'a' }], { sequences: [1] });
    for (let i = 0; i < 60; i++) {
      const tx = log.transaction();
      tx.putState('s', 'k', `v${i}`);
      tx.putState('s', 'bytes', new Uint8Array([i, 255]));
      tx.commitOffsets('g-snap', [{ topic: 'snap-in', partition: 0, offset: i + 1 }]);
      if (i === 30) tx.send('snap-out', [{ value: 'from-tx' }]);
      await tx.commit();
    }
    const coordination = store.topics.get(COORDINATION_TOPIC)![0]!;
    for (let i = 0; i < 100 && coordination.start === 0; i++) await sleep(10);
    assert.ok(coordination.start > 0, 'the coordination log was trimmed');
    assert.equal((JSON.parse(coordination.records[0]!.value as string) as { t: string }).t, 'snapshot', 'it starts at a snapshot');
    const written = ['a', 'from-tx'];
    for (const [j, other] of [new RemoteLog(new MemoryBroker(store)), behind].entries()) {
      assert.equal(await other.getState('s', 'k'), 'v59');
      assert.deepEqual([...((await other.getState('s', 'bytes')) as Uint8Array)], [59, 255]);
      assert.deepEqual(await other.committed('g-snap', 'snap-in'), [{ topic: 'snap-in', partition: 0, offset: 60 }]);
      assert.deepEqual(await readAll(other, 'snap-out', `g-snap-${j}`), written, 'outputs of transactions before the snapshot still show');
      const again = await other.producer({ producerId: 'relay' }).send('snap-out', [{ value: 'a' }, { value: `b${j}` }], { sequences: [1, 2 + j] });
      assert.deepEqual(again.map((r) => r.duplicate), [true, false], 'sequences survive the snapshot');
      written.push(`b${j}`);
    }
  });

  it('keeps the outcome of a recent transaction without outputs in a snapshot, for a committer that reads it back only from there', () => {
    const writer = new CoordinationView();
    const tx = (id: string, value: string): string =>
      JSON.stringify({ t: 'tx', id, expects: [{ ns: 'n', key: 'k', value: null }], puts: [{ ns: 'n', key: 'k', value }], commits: [], sequences: [], outputs: false });
    writer.apply(0, tx('first', 'a'));
    writer.apply(1, tx('second', 'b'));
    const snapshot = writer.snapshot();
    assert.equal(snapshot.at, 2);
    // The committer of `second` had replayed only offset 0 when the log was trimmed before 2.
    const committer = new CoordinationView();
    committer.watch('second');
    committer.apply(0, tx('first', 'a'));
    committer.apply(2, JSON.stringify(snapshot));
    assert.equal(committer.outcome('second')?.state, 'fenced', 'its outcome came with the snapshot');
    assert.equal(committer.outcome('first')?.state, 'committed');
    assert.equal(committer.getState('n', 'k'), 'a');
    // A snapshot that did not land right after what it holds is ignored.
    const late = new CoordinationView();
    late.apply(0, tx('first', 'a'));
    late.apply(1, tx('second', 'b'));
    late.apply(2, tx('third', 'c'));
    late.apply(3, JSON.stringify(snapshot));
    assert.equal(late.snapshotAt, 0);
    // A gap anywhere but at a snapshot is an error naming it.
    assert.throws(() => new CoordinationView().apply(5, tx('x', 'y')), /trimmed past offset 0 \(found 5\) without a snapshot/);
  });

  it('gives a lease to one process at a time and fences the stale owner', async () => {
    const store = new MemoryBrokerStore();
    const a = new RemoteLog(new MemoryBroker(store));
    const b = new RemoteLog(new MemoryBroker(store));
    const key = leaseKey('pipeline', 'ratings');
    const lease = (await acquireLease(a, key, { ttlMs: 400, heartbeatMs: 100 }))!;
    await assert.rejects(acquireLease(b, key, { ttlMs: 400, standby: false }), LeaseHeldError);
    await lease.release();
    const taken = (await acquireLease(b, key, { ttlMs: 400, standby: false }))!;
    assert.equal(taken.epoch, 2);
    const stale = a.transaction();
    lease.fence(stale);
    stale.putState('work', 'out', 'stale');
    await assert.rejects(stale.commit(), FencedError);
    assert.equal(await b.getState('work', 'out'), null);
    await taken.release();
    await sleep(10);
  });
});
