/** Shared by the shop and relay tests: the real PostgreSQL (a schema per test) and the shop's outbox as the database holds it. */
import Database from 'better-sqlite3';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { shopFile } from '../../../src/pipelines/commerce/shop/shop-store.js';

export const PG_URL = process.env.STREAMREC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** null when PostgreSQL answers, else why not (the test says so and skips). */
export async function postgresMissing(): Promise<string | null> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return null;
  } catch (err) {
    return `PostgreSQL not reachable at ${PG_URL} (${(err as Error).message}): skipped`;
  } finally {
    await c.end().catch(() => {});
  }
}

export function uniqueSchema(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

export interface OutboxFact {
  id: number;
  topic: string;
  customerId: number;
}

/** Every outbox row, in commit order (the tests' writers are sequential: id order is commit order). */
export async function outboxRows(where: { dataDir: string } | { schema: string }): Promise<OutboxFact[]> {
  if ('dataDir' in where) {
    const db = new Database(shopFile(where.dataDir), { readonly: true });
    try {
      return db.prepare('SELECT id, topic, customer_id AS customerId FROM outbox ORDER BY id').all() as OutboxFact[];
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const res = await c.query<{ id: string; topic: string; customer_id: string }>(`SELECT id, topic, customer_id FROM "${where.schema}".outbox ORDER BY id`);
    return res.rows.map((r) => ({ id: Number(r.id), topic: r.topic, customerId: Number(r.customer_id) }));
  } finally {
    await c.end();
  }
}
