/**
 * The shop's system of record: PostgreSQL (node-postgres) or an embedded SQLite file with the same
 * tables. Opening creates the schema and the base data on first use, under a lock (an advisory
 * transaction lock / SQLite's write lock) so two generators starting at once do not trip over each
 * other. `write` stores business writes with their outbox rows in ONE database transaction;
 * `readOutbox` is what the relay reads, in commit order from a position.
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { StreamrecError, UserError } from '../../../util/errors.js';
import { releaseLockFile, tryLockFile, type RelayHolder } from './lock-file.js';
import { OUTBOX_PAGE_SELECT, recordOf, recordValue, splitOutboxPage, type OutboxPosition, type OutboxRow } from './outbox-rows.js';
import { baseData, draftRows, type Draft, type DraftRows, type OutboxDraft, type Product } from './shop-model.js';

export type { OutboxPosition, OutboxRow } from './outbox-rows.js';
export { positionAfter } from './outbox-rows.js';

export interface ShopStore {
  readonly kind: 'sqlite' | 'postgres';
  /** For messages: the file, or the PostgreSQL server and schema (no password). */
  readonly description: string;
  /** A random id stored in the shop when it was created: the relay's state key. */
  readonly shopId: string;
  readonly products: Product[];
  readonly customers: number;
  /** Writes the drafts, each with its outbox rows, in one database transaction; returns the outbox rows written. */
  write(drafts: Draft[]): Promise<number>;
  /** Up to `limit` committed outbox rows after `from`, in commit order. */
  readOutbox(from: OutboxPosition | null, limit: number): Promise<OutboxRow[]>;
  /** Outbox rows after `from` (readable or still being committed): the relay's lag. */
  pending(from: OutboxPosition | null): Promise<number>;
  /** The courtesy relay lock: true when taken; else who holds it. */
  tryRelayLock(holder: RelayHolder): Promise<true | RelayHolder>;
  releaseRelayLock(): Promise<void>;
  close(): Promise<void>;
}

export type { RelayHolder } from './lock-file.js';

export interface ShopOptions {
  dataDir: string;
  /** PostgreSQL URL; absent: the embedded SQLite shop `<dataDir>/commerce/shop.db`. */
  postgresUrl?: string;
  /** PostgreSQL schema (default streamrec_shop). */
  schema?: string;
}

export const DEFAULT_SHOP_SCHEMA = 'streamrec_shop';

export function shopFile(dataDir: string): string {
  return join(dataDir, 'commerce', 'shop.db');
}

export async function openShop(options: ShopOptions): Promise<ShopStore> {
  if (options.postgresUrl) return PostgresShop.open(options.postgresUrl, options.schema ?? DEFAULT_SHOP_SCHEMA);
  return SqliteShop.open(shopFile(options.dataDir), options.dataDir);
}

/** The tables; `money` and `serial` differ by database. */
function tables(t: { serial: string; money: string; int: string; prefix: string }): string[] {
  const p = t.prefix;
  return [
    `CREATE TABLE IF NOT EXISTS ${p}shop_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}customers (id ${t.int} PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, city TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}products (id ${t.int} PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, price ${t.money} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}transactions (id ${t.serial}, customer_id ${t.int} NOT NULL REFERENCES ${p}customers(id), total ${t.money} NOT NULL, items_count INTEGER NOT NULL, payment_method TEXT NOT NULL, created_at BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}transaction_items (id ${t.serial}, transaction_id ${t.int} NOT NULL REFERENCES ${p}transactions(id), product_id ${t.int} NOT NULL REFERENCES ${p}products(id), quantity INTEGER NOT NULL, unit_price ${t.money} NOT NULL, line_total ${t.money} NOT NULL, created_at BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}user_behavior (id ${t.serial}, customer_id ${t.int} NOT NULL REFERENCES ${p}customers(id), action TEXT NOT NULL, product_id ${t.int} REFERENCES ${p}products(id), page TEXT, created_at BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}searches (id ${t.serial}, customer_id ${t.int} NOT NULL REFERENCES ${p}customers(id), query TEXT NOT NULL, results_count INTEGER NOT NULL, created_at BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${p}cart_events (id ${t.serial}, customer_id ${t.int} NOT NULL REFERENCES ${p}customers(id), action TEXT NOT NULL, product_id ${t.int} NOT NULL REFERENCES ${p}products(id), quantity INTEGER NOT NULL, created_at BIGINT NOT NULL)`,
  ];
}

const ITEM_COLS = '(transaction_id, product_id, quantity, unit_price, line_total, created_at)';
const TX_COLS = '(id, customer_id, total, items_count, payment_method, created_at)';
const BEHAVIOR_COLS = '(customer_id, action, product_id, page, created_at)';
const SEARCH_COLS = '(customer_id, query, results_count, created_at)';
const CART_COLS = '(customer_id, action, product_id, quantity, created_at)';
const OUTBOX_COLS = '(id, topic, customer_id, payload, created_at)';

class SqliteShop implements ShopStore {
  readonly kind = 'sqlite' as const;
  private readonly insert: Record<'tx' | 'item' | 'behavior' | 'search' | 'cart' | 'outbox', Database.Statement>;
  private readonly read: Database.Statement;
  private readonly count: Database.Statement;
  private readonly lastOutboxId: Database.Statement;
  private readonly lockFile: string;
  private locked = false;

  private constructor(
    private readonly db: Database.Database,
    readonly description: string,
    readonly shopId: string,
    readonly products: Product[],
    readonly customers: number,
    dataDir: string,
  ) {
    this.lockFile = join(dataDir, 'commerce', 'relay.lock');
    this.insert = {
      tx: db.prepare(`INSERT INTO transactions (customer_id, total, items_count, payment_method, created_at) VALUES (?, ?, ?, ?, ?)`),
      item: db.prepare(`INSERT INTO transaction_items ${ITEM_COLS} VALUES (?, ?, ?, ?, ?, ?)`),
      behavior: db.prepare(`INSERT INTO user_behavior ${BEHAVIOR_COLS} VALUES (?, ?, ?, ?, ?)`),
      search: db.prepare(`INSERT INTO searches ${SEARCH_COLS} VALUES (?, ?, ?, ?)`),
      cart: db.prepare(`INSERT INTO cart_events ${CART_COLS} VALUES (?, ?, ?, ?, ?)`),
      outbox: db.prepare(`INSERT INTO outbox ${OUTBOX_COLS} VALUES (?, ?, ?, ?, ?)`),
    };
    this.read = db.prepare('SELECT topic, CAST(customer_id AS TEXT), payload, created_at, id FROM outbox WHERE id > ? ORDER BY id LIMIT ?').raw(true);
    this.count = db.prepare('SELECT count(*) FROM outbox WHERE id > ?').pluck();
    this.lastOutboxId = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").pluck();
  }

  static open(file: string, dataDir: string): SqliteShop {
    mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 15000');
    db.pragma('foreign_keys = ON');
    // Schema and base data in one write transaction: a second generator waits, then finds them.
    const { shopId, products, customers } = db
      .transaction(() => {
        for (const ddl of tables({ serial: 'INTEGER PRIMARY KEY AUTOINCREMENT', money: 'REAL', int: 'INTEGER', prefix: '' })) db.exec(ddl);
        db.exec('CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, customer_id INTEGER NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL)');
        let id = db.prepare("SELECT value FROM shop_meta WHERE key = 'shop_id'").pluck().get() as string | undefined;
        if (id === undefined) {
          id = randomUUID();
          db.prepare("INSERT INTO shop_meta (key, value) VALUES ('shop_id', ?)").run(id);
          const base = baseData();
          const c = db.prepare('INSERT INTO customers (id, name, email, city) VALUES (?, ?, ?, ?)');
          for (const x of base.customers) c.run(x.id, x.name, x.email, x.city);
          const p = db.prepare('INSERT INTO products (id, name, category, price) VALUES (?, ?, ?, ?)');
          for (const x of base.products) p.run(x.id, x.name, x.category, x.price);
        }
        return {
          shopId: id,
          products: db.prepare('SELECT id, name, category, price FROM products ORDER BY id').all() as Product[],
          customers: db.prepare('SELECT count(*) FROM customers').pluck().get() as number,
        };
      })
      .immediate();
    return new SqliteShop(db, `embedded shop ${file}`, shopId, products, customers, dataDir);
  }

  write(drafts: Draft[]): Promise<number> {
    const ins = this.insert;
    const written = this.db
      .transaction(() => {
        let n = 0;
        // The ids AUTOINCREMENT would give (writers are serialised): each payload carries its own.
        let outboxId = (this.lastOutboxId.get() as number | undefined) ?? 0;
        for (const d of drafts) {
          let txId = 0;
          if (d.kind === 'purchase') {
            // The id first (AUTOINCREMENT), then the rows that carry it.
            const draft = draftRows(d, 0);
            const [, customer, total, units, payment, ts] = draft.transaction!;
            txId = Number(ins.tx.run(customer, total, units, payment, ts).lastInsertRowid);
          }
          const rows: DraftRows = draftRows(d, txId);
          for (const item of rows.items) ins.item.run(...item);
          if (rows.behavior) ins.behavior.run(...rows.behavior);
          if (rows.search) ins.search.run(...rows.search);
          if (rows.cart) ins.cart.run(...rows.cart);
          for (const o of rows.outbox) {
            const id = ++outboxId;
            ins.outbox.run(id, o.topic, o.customerId, recordValue(id, o.payload), o.createdAt);
          }
          n += rows.outbox.length;
        }
        return n;
      })
      .immediate();
    return Promise.resolve(written);
  }

  readOutbox(from: OutboxPosition | null, limit: number): Promise<OutboxRow[]> {
    // SQLite serialises writers: a row's id order is its commit order, and no id below the
    // highest committed one can still appear.
    const rows = this.read.all(from?.id ?? 0, limit) as [string, string, string, number, number][];
    return Promise.resolve(rows.map(([topic, key, payload, timestamp, id]) => ({ topic, key, value: recordOf(id, payload), timestamp, id })));
  }

  pending(from: OutboxPosition | null): Promise<number> {
    return Promise.resolve(this.count.get(from?.id ?? 0) as number);
  }

  tryRelayLock(holder: RelayHolder): Promise<true | RelayHolder> {
    const got = tryLockFile(this.lockFile, holder);
    if (got === true) this.locked = true;
    return Promise.resolve(got);
  }

  releaseRelayLock(): Promise<void> {
    if (this.locked) releaseLockFile(this.lockFile);
    this.locked = false;
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await this.releaseRelayLock();
    this.db.close();
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** BIGINT columns as numbers (ids, customer ids and epoch ms stay far below 2^53), on the shop's connection only. */
const NUMERIC_BIGINT: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'],
};

class PostgresShop implements ShopStore {
  readonly kind = 'postgres' as const;
  private readonly s: string;

  private constructor(
    private readonly client: pg.Client,
    schema: string,
    readonly description: string,
    readonly shopId: string,
    readonly products: Product[],
    readonly customers: number,
  ) {
    this.s = `"${schema}"`;
  }

  static async open(url: string, schema: string): Promise<PostgresShop> {
    if (!SCHEMA_NAME.test(schema)) throw new UserError(`--shop-schema must be a lower-case SQL name (letters, digits, _), got "${schema}"`);
    const client = new pg.Client({ connectionString: url, application_name: 'streamrec-shop', types: NUMERIC_BIGINT });
    const where = describeUrl(url);
    try {
      await client.connect();
    } catch (err) {
      throw new StreamrecError(`cannot reach PostgreSQL at ${where}: ${(err as Error).message}`, { code: 'postgres-unreachable', status: 503, cause: err });
    }
    client.on('error', () => {}); // a dropped connection shows up as the next query's error
    const s = `"${schema}"`;
    try {
      await client.query('BEGIN');
      // Two generators (or a relay and a generator) creating the shop at once: the second waits here.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`streamrec-shop:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      for (const ddl of tables({ serial: 'BIGSERIAL PRIMARY KEY', money: 'NUMERIC(12,2)', int: 'BIGINT', prefix: `${s}.` })) await client.query(ddl);
      // xid: the writing transaction's id, which orders the outbox by when rows became visible (see readOutbox).
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.outbox (id BIGSERIAL PRIMARY KEY, topic TEXT NOT NULL, customer_id BIGINT NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL, xid XID8 NOT NULL DEFAULT pg_current_xact_id())`);
      await client.query(`CREATE INDEX IF NOT EXISTS outbox_xid_id ON ${s}.outbox (xid, id)`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.relay_holder (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since BIGINT NOT NULL)`);
      let id = (await client.query<{ value: string }>(`SELECT value FROM ${s}.shop_meta WHERE key = 'shop_id'`)).rows[0]?.value;
      if (id === undefined) {
        id = randomUUID();
        await client.query(`INSERT INTO ${s}.shop_meta (key, value) VALUES ('shop_id', $1)`, [id]);
        const base = baseData();
        await client.query(
          `INSERT INTO ${s}.customers (id, name, email, city) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`,
          [base.customers.map((c) => c.id), base.customers.map((c) => c.name), base.customers.map((c) => c.email), base.customers.map((c) => c.city)],
        );
        await client.query(
          `INSERT INTO ${s}.products (id, name, category, price) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::numeric[])`,
          [base.products.map((p) => p.id), base.products.map((p) => p.name), base.products.map((p) => p.category), base.products.map((p) => p.price)],
        );
      }
      const products = (await client.query<{ id: number; name: string; category: string; price: string }>(`SELECT id, name, category, price FROM ${s}.products ORDER BY id`)).rows.map(
        (r) => ({ id: r.id, name: r.name, category: r.category, price: Number(r.price) }),
      );
      const customers = (await client.query<{ n: number }>(`SELECT count(*) AS n FROM ${s}.customers`)).rows[0]!.n;
      await client.query('COMMIT');
      return new PostgresShop(client, schema, `PostgreSQL ${where} schema ${schema}`, id, products, customers);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
      if (err instanceof StreamrecError) throw err;
      throw new StreamrecError(`cannot create the shop in PostgreSQL ${where} schema ${schema}: ${(err as Error).message}`, { code: 'shop-schema', status: 500, cause: err });
    }
  }

  async write(drafts: Draft[]): Promise<number> {
    const c = this.client;
    const s = this.s;
    await c.query('BEGIN');
    try {
      const purchases = drafts.filter((d) => d.kind === 'purchase').length;
      const ids = purchases === 0 ? [] : (await c.query<{ id: number }>(`SELECT nextval('${s}.transactions_id_seq') AS id FROM generate_series(1, $1)`, [purchases])).rows.map((r) => r.id);
      const outboxDrafts: OutboxDraft[] = [];
      const all = { tx: [] as unknown[][], item: [] as unknown[][], behavior: [] as unknown[][], search: [] as unknown[][], cart: [] as unknown[][] };
      let next = 0;
      for (const d of drafts) {
        const rows = draftRows(d, d.kind === 'purchase' ? ids[next++]! : 0);
        if (rows.transaction) all.tx.push(rows.transaction);
        for (const i of rows.items) all.item.push(i);
        if (rows.behavior) all.behavior.push(rows.behavior);
        if (rows.search) all.search.push(rows.search);
        if (rows.cart) all.cart.push(rows.cart);
        outboxDrafts.push(...rows.outbox);
      }
      await insertRows(c, `${s}.transactions ${TX_COLS}`, all.tx);
      await insertRows(c, `${s}.transaction_items ${ITEM_COLS}`, all.item);
      await insertRows(c, `${s}.user_behavior ${BEHAVIOR_COLS}`, all.behavior);
      await insertRows(c, `${s}.searches ${SEARCH_COLS}`, all.search);
      await insertRows(c, `${s}.cart_events ${CART_COLS}`, all.cart);
      // Ids first, so each payload carries its own (what the relay publishes, as stored).
      const outboxIds = outboxDrafts.length === 0 ? [] : (await c.query<{ id: number }>(`SELECT nextval('${s}.outbox_id_seq') AS id FROM generate_series(1, $1)`, [outboxDrafts.length])).rows.map((r) => r.id);
      await insertRows(c, `${s}.outbox ${OUTBOX_COLS}`, outboxDrafts.map((o, i) => [outboxIds[i], o.topic, o.customerId, recordValue(outboxIds[i]!, o.payload), o.createdAt]));
      await c.query('COMMIT');
      return outboxDrafts.length;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw new StreamrecError(`shop write failed on ${this.description}: ${(err as Error).message}`, { code: 'shop-write', status: 503, cause: err });
    }
  }

  /**
   * Ids come from a sequence at insert, not at commit: a transaction holding id 7 may commit
   * after one holding id 8. So read only rows whose writing transaction is older than every
   * transaction still in flight (xid < the snapshot's xmin): no row can appear behind them any
   * more. Their order (xid, id) is the position, and it only grows. ORDER BY names the table's
   * columns, compared as numbers (as text '10' < '9').
   */
  private pageRows(): string {
    return `SELECT o.topic, o.customer_id, o.created_at, o.xid, o.id, o.payload FROM ${this.s}.outbox o
            WHERE (o.xid, o.id) > ($1::xid8, $2::bigint) AND o.xid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY o.xid, o.id LIMIT $3`;
  }

  async readOutbox(from: OutboxPosition | null, limit: number): Promise<OutboxRow[]> {
    const values = [from?.xid ?? '0', from?.id ?? 0, limit];
    // The page as one text value (see outbox-rows.ts): one string for pg to make, cut here.
    const res = await this.client.query<{ n: number; page: string | null }>({ text: `SELECT ${OUTBOX_PAGE_SELECT} FROM (${this.pageRows()}) p`, values });
    const { n, page } = res.rows[0]!;
    if (n === 0 || page === null) return [];
    const rows = splitOutboxPage(page, n);
    if (rows) return rows;
    // Not cut cleanly (a row written by hand with a control character): read it row by row.
    const plain = await this.client.query<{ topic: string; customer_id: number; created_at: number; xid: string; id: number; payload: string }>({
      text: `SELECT p.topic, p.customer_id, p.created_at, p.xid::text AS xid, p.id, p.payload FROM (${this.pageRows()}) p ORDER BY p.xid, p.id`,
      values,
    });
    return plain.rows.map((r) => ({ topic: r.topic, key: String(r.customer_id), value: recordOf(r.id, r.payload), timestamp: r.created_at, id: r.id, xid: r.xid }));
  }

  async pending(from: OutboxPosition | null): Promise<number> {
    const res = await this.client.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.s}.outbox WHERE (xid, id) > ($1::xid8, $2::bigint)`, [from?.xid ?? '0', from?.id ?? 0]);
    return res.rows[0]!.n;
  }

  async tryRelayLock(holder: RelayHolder): Promise<true | RelayHolder> {
    // A session lock: PostgreSQL releases it when the relay's connection ends, kill -9 included.
    const got = (await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`streamrec-relay:${this.s}`])).rows[0]!.ok;
    if (got) {
      await this.client.query(
        `INSERT INTO ${this.s}.relay_holder (id, pid, host, since) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, since = excluded.since`,
        [holder.pid, holder.host, holder.since],
      );
      return true;
    }
    const row = (await this.client.query<{ pid: number; host: string; since: number }>(`SELECT pid, host, since FROM ${this.s}.relay_holder WHERE id = 1`)).rows[0];
    return row ? { pid: row.pid, host: row.host, since: row.since } : { pid: 0, host: 'unknown', since: 0 };
  }

  async releaseRelayLock(): Promise<void> {
    await this.client.query('SELECT pg_advisory_unlock_all()').catch(() => {});
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

/** One multi-row INSERT (chunked under PostgreSQL's 65,535 parameters). */
async function insertRows(c: pg.Client, into: string, rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const width = rows[0]!.length;
  const per = Math.floor(60_000 / width);
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    const values: unknown[] = [];
    const tuples = chunk.map((r) => {
      const marks = r.map((v) => {
        values.push(v);
        return `$${values.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    await c.query(`INSERT INTO ${into} VALUES ${tuples.join(', ')}`, values);
  }
}

/** The URL without its password, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the given URL';
  }
}
