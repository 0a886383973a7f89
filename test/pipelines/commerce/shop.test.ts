import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openShop, positionAfter, shopFile, type ShopStore } from '../../../src/pipelines/commerce/shop/shop-store.js';
import { ShopTraffic } from '../../../src/pipelines/commerce/shop/shop-model.js';
import { tempDir } from '../../helpers/tmp.js';
import { PG_URL, dropSchema, postgresMissing, uniqueSchema } from './shop-helpers.js';

const TABLES = ['customers', 'products', 'transactions', 'transaction_items', 'user_behavior', 'searches', 'cart_events', 'outbox'];

async function exercise(shops: ShopStore[], count: (sql: string) => Promise<number>): Promise<void> {
  // Two opened at once on a fresh database: one shop, base data once.
  const [a, b] = shops as [ShopStore, ShopStore];
  assert.equal(a.shopId, b.shopId);
  assert.equal(await count('SELECT count(*) FROM products'), 200);
  assert.equal(await count('SELECT count(*) FROM customers'), 1000);
  const traffic = new ShopTraffic(42, a.products, a.customers);
  const drafts = Array.from({ length: 2000 }, (_, i) => traffic.next(Date.UTC(2026, 11, 6, 8, 0, 0) + i));
  const purchases = drafts.filter((d) => d.kind === 'purchase');
  assert.ok(purchases.length > 1300 && purchases.length < 1500, `about 70 % purchases, got ${purchases.length}`);
  const written = (await a.write(drafts.slice(0, 1000))) + (await b.write(drafts.slice(1000)));
  assert.equal(await count('SELECT count(*) FROM outbox'), written);
  // Every business row has its outbox row (same transaction).
  for (const t of ['transactions', 'transaction_items', 'user_behavior', 'searches', 'cart_events']) {
    assert.equal(await count(`SELECT count(*) FROM outbox WHERE topic = '${t}'`), await count(`SELECT count(*) FROM ${t}`), t);
  }
  assert.equal(await count('SELECT count(*) FROM transactions'), purchases.length);
  const rows = await a.readOutbox(null, 100_000);
  assert.equal(rows.length, written);
  const item = rows.find((r) => r.topic === 'transaction_items')!;
  // Each row is its log record: the event with its outbox id as event_id, keyed by customer.
  const value = JSON.parse(item.value) as Record<string, unknown>;
  for (const k of ['product_name', 'category', 'unit_price', 'quantity', 'line_total', 'transaction_id', 'customer_id', 'timestamp']) assert.ok(k in value, k);
  assert.ok(item.value.startsWith(`{"event_id":${item.id},"customer_id":`));
  assert.equal(item.key, String(value.customer_id));
  assert.equal(item.timestamp, value.timestamp);
  // Reading from a position goes on after it, in order.
  const after = await a.readOutbox(positionAfter(rows[9]!), 5);
  assert.deepEqual(after.map((r) => r.id), rows.slice(10, 15).map((r) => r.id));
  assert.equal(await a.pending({ id: rows[rows.length - 6]!.id, xid: rows[rows.length - 6]!.xid }), 5);
}

describe('the commerce shop', () => {
  it('creates its schema and base data once on SQLite and writes business rows with their outbox rows', async () => {
    const { dir, cleanup } = tempDir();
    const shops = await Promise.all([openShop({ dataDir: dir }), openShop({ dataDir: dir })]);
    const db = new Database(shopFile(dir), { readonly: true });
    try {
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      for (const t of TABLES) assert.ok(names.includes(t), t);
      await exercise(shops, (sql) => Promise.resolve(db.prepare(sql).pluck().get() as number));
    } finally {
      db.close();
      for (const s of shops) await s.close();
      cleanup();
    }
  });

  it('does the same on the real PostgreSQL, in a schema of its own', async (t) => {
    const missing = await postgresMissing();
    if (missing) return t.skip(missing);
    const schema = uniqueSchema('shop_test');
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    const shops = await Promise.all([openShop({ dataDir: '/nonexistent', postgresUrl: PG_URL, schema }), openShop({ dataDir: '/nonexistent', postgresUrl: PG_URL, schema })]);
    try {
      const names = (await c.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema])).rows.map((r) => r.table_name);
      for (const name of TABLES) assert.ok(names.includes(name), name);
      await c.query(`SET search_path TO "${schema}"`);
      await exercise(shops, async (sql) => Number((await c.query<{ count: string }>(sql)).rows[0]!.count));
      const xid = (await c.query<{ t: string }>("SELECT pg_typeof(xid)::text AS t FROM outbox LIMIT 1")).rows[0]!.t;
      assert.equal(xid, 'xid8');
    } finally {
      for (const s of shops) await s.close();
      await c.end();
      await dropSchema(schema);
    }
  });

  it('reads the PostgreSQL outbox in numeric transaction order, also where the xid gains a digit', async (t) => {
    const missing = await postgresMissing();
    if (missing) return t.skip(missing);
    const schema = uniqueSchema('shop_xid');
    const shop = await openShop({ dataDir: '/nonexistent', postgresUrl: PG_URL, schema });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      // Rows as transactions 10, 9 and 100 would have written them (all long committed): as text,
      // '10' < '100' < '9', which once made a page end at xid 9 and the next read skip xid 10's rows.
      for (const x of ['10', '9', '100', '10']) {
        await c.query(`INSERT INTO "${schema}".outbox (topic, customer_id, payload, created_at, xid) VALUES ('searches', 1, '{"customer_id":1}', 0, $1::xid8)`, [x]);
      }
      const order = ['9', '10', '10', '100'];
      assert.deepEqual((await shop.readOutbox(null, 10)).map((r) => r.xid), order);
      const paged: string[] = [];
      for (let page = await shop.readOutbox(null, 1); page.length > 0; page = await shop.readOutbox(positionAfter(page[0]!), 1)) paged.push(page[0]!.xid!);
      assert.deepEqual(paged, order);
      assert.equal(await shop.pending(null), 4);
      // A row written by hand with a control character in its payload: the page is read row by row.
      await c.query(`INSERT INTO "${schema}".outbox (topic, customer_id, payload, created_at, xid) VALUES ('searches', 2, $1, 5, '200'::xid8)`, ['{"customer_id":2,"query":"a\u0002b\u0001c"}']);
      const all = await shop.readOutbox(null, 10);
      assert.deepEqual(all.map((r) => r.xid), [...order, '200']);
      assert.equal(all[4]!.value, `{"event_id":${all[4]!.id},"customer_id":2,"query":"a\u0002b\u0001c"}`);
    } finally {
      await shop.close();
      await c.end();
      await dropSchema(schema);
    }
  });
});
