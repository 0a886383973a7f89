/**
 * The remote core's multi-process rules on a real NATS JetStream server (skipped, saying so,
 * without one): a race of two processes decided alike, a coordination log trimmed behind a
 * snapshot that a new process starts from, and a reader whose server-side consumer was removed.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsBroker } from '../../src/log/nats/nats-broker.js';
import { streamName } from '../../src/log/nats/nats-names.js';
import { COORDINATION_TOPIC } from '../../src/log/remote/coordination-record.js';
import { RemoteLog } from '../../src/log/remote/remote-log.js';
import { FencedError, type EventLog } from '../../src/log/types.js';
import { dropNatsPrefix, freshNatsUrl, natsProblem, natsServer } from './nats-server.js';
import { readAll } from './read-all.js';

const url = freshNatsUrl('c');

const skip = await natsProblem();
describe(`remote core on NATS JetStream at ${natsServer}`, { skip: skip === null ? false : `no NATS JetStream server: ${skip}` }, () => {
  const opened: EventLog[] = [];
  const open = (options: ConstructorParameters<typeof RemoteLog>[1] = {}): EventLog => {
    const log = new RemoteLog(new NatsBroker(url), options);
    opened.push(log);
    return log;
  };
  after(async () => {
    for (const log of opened) await log.close();
    await dropNatsPrefix(url);
  });

  it('decides a race of two processes alike: one commits, the other is fenced and its output never shows', async () => {
    const [a, b] = [open(), open()];
    const txs = [a, b].map((log, i) => {
      const tx = log.transaction();
      tx.expectState('relay', 'pos', null);
      tx.send('race-out', [{ value: `from-${i}` }]);
      tx.putState('relay', 'pos', String(i));
      return tx;
    });
    const results = await Promise.allSettled(txs.map((tx) => tx.commit()));
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok((results[1 - winner] as PromiseRejectedResult).reason instanceof FencedError);
    for (const log of [a, b]) {
      assert.equal(await log.getState('relay', 'pos'), String(winner));
      assert.deepEqual(await readAll(log, 'race-out', `g-race-${Math.random()}`), [`from-${winner}`]);
    }
  });

  it('trims the coordination log behind a snapshot, and a new process starts from it', async () => {
    const log = open({ snapshotEvery: 10 });
    for (let i = 0; i < 40; i++) {
      const tx = log.transaction();
      tx.putState('s', 'k', `v${i}`);
      tx.commitOffsets('g-snap', [{ topic: 'snap-in', partition: 0, offset: i + 1 }]);
      await tx.commit();
    }
    const broker = new NatsBroker(url);
    try {
      let start = 0;
      for (let i = 0; i < 100 && start === 0; i++) {
        start = (await broker.offsets(COORDINATION_TOPIC, 0)).start;
        if (start === 0) await sleep(20);
      }
      assert.ok(start > 0, 'the coordination log was trimmed');
    } finally {
      await broker.close();
    }
    const fresh = open();
    assert.equal(await fresh.getState('s', 'k'), 'v39');
    assert.deepEqual(await fresh.committed('g-snap', 'snap-in'), [{ topic: 'snap-in', partition: 0, offset: 40 }]);
  });

  it('reads on when the server removed the consumer it was reading through (inactive while the process was busy or paused)', async () => {
    const log = open();
    await log.createTopic('gone', { partitions: 1 });
    const values = Array.from({ length: 3000 }, (_, i) => `v${i}`);
    await log.producer().send('gone', values.map((value) => ({ value, partition: 0 })));
    const consumer = log.consumer({ group: 'gone-reader', topics: ['gone'], from: 'earliest' });
    const first = await consumer.poll({ maxRecords: 1000 });
    assert.equal(first.length, 1000);
    const nc = await connect({ servers: url.servers });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = streamName(url.prefix, 'gone', 0);
      let removed = 0;
      for await (const c of jsm.consumers.list(stream)) {
        await jsm.consumers.delete(stream, c.name);
        removed++;
      }
      assert.ok(removed >= 1, 'the bulk read went through a server-side consumer');
    } finally {
      await nc.close();
    }
    const rest: string[] = [];
    for (;;) {
      const batch = await consumer.poll({ maxRecords: 1000 });
      if (batch.length === 0) break;
      rest.push(...batch.map((r) => String(r.value)));
    }
    assert.deepEqual(rest, values.slice(1000), 'every later record, once, in order');
    await consumer.close();
  });
});
