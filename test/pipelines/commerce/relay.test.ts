/**
 * The outbox relay, exactly once, through the real CLI: SIGKILLed at random moments while the shop
 * writes, restarted, then drained with --exit-when-idle — every outbox row is in its topic exactly
 * once (by event_id), and per customer in commit order, and nowhere else; two relays at
 * once (with the courtesy lock, and without it: fencing alone) write no duplicate.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import { COMMERCE_TOPICS } from '../../../src/pipelines/commerce/commerce-contract.js';
import { openShop, type ShopStore } from '../../../src/pipelines/commerce/shop/shop-store.js';
import { ShopTraffic } from '../../../src/pipelines/commerce/shop/shop-model.js';
import { tempDir } from '../../helpers/tmp.js';
import { PG_URL, dropSchema, outboxRows, postgresMissing, uniqueSchema, type OutboxFact } from './shop-helpers.js';

const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

interface Backend {
  name: string;
  args: string[];
  shop: () => Promise<ShopStore>;
  where: { dataDir: string } | { schema: string };
  cleanup: () => Promise<void>;
}

async function backends(dataDir: string): Promise<{ sqlite: Backend; postgres: Backend | string }> {
  const sqlite: Backend = { name: 'SQLite', args: [], shop: () => openShop({ dataDir }), where: { dataDir }, cleanup: async () => {} };
  const missing = await postgresMissing();
  if (missing) return { sqlite, postgres: missing };
  const schema = uniqueSchema('relay_test');
  return {
    sqlite,
    postgres: {
      name: 'PostgreSQL', args: ['--postgres', PG_URL, '--shop-schema', schema],
      shop: () => openShop({ dataDir, postgresUrl: PG_URL, schema }), where: { schema }, cleanup: () => dropSchema(schema),
    },
  };
}

function relay(dataDir: string, extra: string[]): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'relay', 'commerce', '--data-dir', dataDir, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, stderr: () => err };
}

async function waitUntil(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(20);
}

/** A sequential writer: each batch commits before the next starts, so id order is commit order. */
async function write(shop: ShopStore, ms: number, seed: number): Promise<void> {
  const traffic = new ShopTraffic(seed, shop.products, shop.customers);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await shop.write(Array.from({ length: 1 + Math.floor(Math.random() * 30) }, () => traffic.next(Date.now())));
    await sleep(Math.random() * 4);
  }
}

/** Every record of the commerce topics: exactly the outbox rows, once each, in commit order per customer key in each partition. */
async function verify(dataDir: string, facts: OutboxFact[]): Promise<void> {
  const log = openEmbeddedLog({ dataDir });
  try {
    const position = new Map(facts.map((f, i) => [f.id, i]));
    // Each event once, in its own topic: no union copy (the pipeline reads the five topics).
    assert.equal(await log.topic('commerce.events'), null);
    for (const topic of COMMERCE_TOPICS) {
      const expected = facts.filter((f) => f.topic === topic);
      const consumer = log.consumer({ group: `verify-${topic}`, topics: [topic], from: 'earliest' });
      const seen = new Map<number, number>();
      const lastByKey = new Map<string, number>();
      const info = await log.topic(topic);
      const total = info ? info.partitions.reduce((n, p) => n + p.endOffset - p.startOffset, 0) : 0;
      let read = 0;
      while (read < total) {
        const batch = await consumer.poll({ maxRecords: 5000, timeoutMs: 200 });
        read += batch.length;
        for (const r of batch) {
          const event = JSON.parse(r.value as string) as { event_id: number; customer_id: number };
          seen.set(event.event_id, (seen.get(event.event_id) ?? 0) + 1);
          assert.equal(r.key, String(event.customer_id));
          assert.equal(facts[position.get(event.event_id)!]?.topic, topic, `event_id ${event.event_id} in its own topic`);
          const k = `${r.partition}/${r.key}`;
          const at = position.get(event.event_id);
          assert.ok(at !== undefined, `${topic}: event_id ${event.event_id} is not in the outbox`);
          assert.ok((lastByKey.get(k) ?? -1) < at, `${topic}: customer ${r.key} out of commit order at event_id ${event.event_id}`);
          lastByKey.set(k, at);
        }
      }
      await consumer.close();
      const dupes = [...seen].filter(([, n]) => n > 1);
      assert.deepEqual(dupes, [], `${topic}: duplicates`);
      assert.equal(seen.size, expected.length, `${topic}: every outbox row once`);
      for (const f of expected) assert.ok(seen.has(f.id), `${topic}: event_id ${f.id} missing`);
    }
  } finally {
    await log.close();
  }
}

async function killTest(backend: Backend, dataDir: string): Promise<void> {
  const shop = await backend.shop();
  let kills = 0;
  try {
    const writing = write(shop, 7000, 5);
    const deadline = Date.now() + 6500;
    while (Date.now() < deadline || kills < 5) {
      const r = relay(dataDir, backend.args);
      await sleep(150 + Math.random() * 900);
      r.child.kill('SIGKILL');
      await r.exited;
      kills++;
    }
    await writing;
  } finally {
    await shop.close();
  }
  assert.ok(kills >= 5);
  const last = relay(dataDir, [...backend.args, '--exit-when-idle']);
  assert.equal(await last.exited, 0, last.stderr());
  const facts = await outboxRows(backend.where);
  assert.ok(facts.length > 1000, `the shop wrote ${facts.length} outbox rows`);
  await verify(dataDir, facts);
}

async function twoRelaysTest(backend: Backend, dataDir: string): Promise<void> {
  const shop = await backend.shop();
  try {
    await write(shop, 1500, 9);
    // With the courtesy lock: the second waits and says who holds the shop.
    const writing = write(shop, 2500, 10);
    const a = relay(dataDir, backend.args);
    await waitUntil(() => /relay into/.test(a.stderr()), 20_000);
    const b = relay(dataDir, backend.args);
    // One of them (b, unless a was slow to reach its lock) says who holds the shop, and waits.
    const waiting = /another relay holds .* \(pid \d+ on .*since/;
    await waitUntil(() => waiting.test(a.stderr() + b.stderr()), 20_000);
    // Without it: both publish at once, and the log's fencing alone keeps them apart.
    const c = relay(dataDir, [...backend.args, '--no-lock']);
    const d = relay(dataDir, [...backend.args, '--no-lock']);
    await writing;
    await sleep(800);
    for (const p of [a, b, c, d]) p.child.kill('SIGTERM');
    await Promise.all([a, b, c, d].map((p) => p.exited));
    assert.match(a.stderr() + b.stderr(), waiting);
  } finally {
    await shop.close();
  }
  const e = relay(dataDir, [...backend.args, '--exit-when-idle', '--no-lock']);
  const f = relay(dataDir, [...backend.args, '--exit-when-idle', '--no-lock']);
  assert.equal(await e.exited, 0, e.stderr());
  assert.equal(await f.exited, 0, f.stderr());
  await verify(dataDir, await outboxRows(backend.where));
}

describe('the commerce outbox relay (real CLI child processes)', { timeout: 120_000 }, () => {
  for (const which of ['sqlite', 'postgres'] as const) {
    it(`${which}: SIGKILLed at least 5 times while the shop writes, then every outbox row is in the log once, in commit order per customer`, async (t) => {
      const { dir, cleanup } = tempDir();
      const b = (await backends(dir))[which];
      if (typeof b === 'string') return t.skip(b);
      try {
        await killTest(b, dir);
      } finally {
        await b.cleanup();
        cleanup();
      }
    });
    it(`${which}: two relays at once write no duplicate (the second waits on the lock; without it, fencing)`, async (t) => {
      const { dir, cleanup } = tempDir();
      const b = (await backends(dir))[which];
      if (typeof b === 'string') return t.skip(b);
      try {
        await twoRelaysTest(b, dir);
      } finally {
        await b.cleanup();
        cleanup();
      }
    });
  }
});
