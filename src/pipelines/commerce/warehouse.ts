/**
 * The warehouse: the seed's DWH table `realtime_events(event_type, customer_id, timestamp,
 * processed_at, payload)` in PostgreSQL, written from `commerce.events` exactly once.
 *
 * Why exactly once: the sink's position is not the log's consumer group but a row of
 * `streamrec_offsets(group, topic, partition, next_offset)` in the same database, and each batch
 * is ONE PostgreSQL transaction that locks the position rows (SELECT … FOR UPDATE), checks they
 * are where this sink read from, inserts the rows and moves the positions. A crash (kill -9)
 * before COMMIT leaves neither rows nor a moved position: the restart reads the same records
 * again. A crash after COMMIT leaves both. A second sink of the same group finds the position
 * moved under it, rolls back and seeks to it, so two sinks never both write a record. As a second
 * guard the table has a unique key (event_type, event_id, source_partition, source_offset) and
 * inserts skip conflicts — counted in `duplicatesSkipped`, which the transaction keeps at 0.
 * (The log group of the same name is committed after, for `streamrec topics`' lag only.)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Consumer, EventLog } from '../../log/types.js';
import { StreamrecError } from '../../util/errors.js';
import { COMMERCE_EVENTS_TOPIC } from './commerce-events.js';
import { decodeRawCommerce, type RawCommerceRow } from './commerce-lake.js';

export const WAREHOUSE_GROUP = 'warehouse-commerce';

export interface WarehouseOptions {
  log: EventLog;
  /** postgres://… */
  url: string;
  /** The PostgreSQL schema of `realtime_events` and `streamrec_offsets` (default `public`, where the seed's readers look). */
  schema?: string;
  group?: string;
  /** Records per transaction (default 2,000). */
  batchSize?: number;
  pollTimeoutMs?: number;
  /** A test hook: called after the rows are inserted and before COMMIT (kill the process here to test a crash mid-batch). */
  beforeCommit?: (rows: number) => void | Promise<void>;
}

export interface WarehouseStats {
  rowsWritten: number;
  batches: number;
  /** Rows the unique key refused (never expected: the positions are transactional). */
  duplicatesSkipped: number;
  /** Batches rolled back because another sink had moved the position. */
  conflicts: number;
  recordsSkipped: number;
}

/** A PostgreSQL problem a user can act on (code `warehouse-error`). */
export class WarehouseError extends StreamrecError {
  override name = 'WarehouseError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'warehouse-error', status: 503, cause });
  }
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** The DDL of the warehouse's two tables in `schema`. */
export function warehouseDdl(schema: string): string {
  const s = quoteIdent(schema);
  // One creator at a time (IF NOT EXISTS alone races between two sinks starting together).
  return `
    BEGIN;
    SELECT pg_advisory_xact_lock(hashtext('streamrec-warehouse-ddl'));
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.realtime_events (
      id BIGSERIAL PRIMARY KEY,
      event_type TEXT NOT NULL,
      event_id BIGINT NOT NULL,
      customer_id BIGINT NOT NULL,
      "timestamp" TIMESTAMPTZ NOT NULL,
      processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      payload JSONB NOT NULL,
      source_partition INTEGER NOT NULL,
      source_offset BIGINT NOT NULL,
      UNIQUE (event_type, event_id, source_partition, source_offset)
    );
    CREATE INDEX IF NOT EXISTS realtime_events_processed_at ON ${s}.realtime_events (processed_at);
    CREATE TABLE IF NOT EXISTS ${s}.streamrec_offsets (
      "group" TEXT NOT NULL,
      topic TEXT NOT NULL,
      "partition" INTEGER NOT NULL,
      next_offset BIGINT NOT NULL,
      PRIMARY KEY ("group", topic, "partition")
    );
    COMMIT;`;
}

export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new WarehouseError(`PostgreSQL schema name ${JSON.stringify(name)}: lowercase letters, digits and underscores`);
  return `"${name}"`;
}

/** Where PostgreSQL is, for messages (no password). */
export function describePostgres(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

export class WarehouseSink {
  readonly stats: WarehouseStats = { rowsWritten: 0, batches: 0, duplicatesSkipped: 0, conflicts: 0, recordsSkipped: 0 };
  private readonly schema: string;
  private readonly group: string;
  private client: pg.Client | null = null;
  private consumer: Consumer | null = null;

  constructor(private readonly options: WarehouseOptions) {
    this.schema = quoteIdent(options.schema ?? 'public');
    this.group = options.group ?? WAREHOUSE_GROUP;
  }

  /**
   * Follows `commerce.events` until the signal aborts. A failure to open at first is thrown (a
   * wrong URL says so at once); a later failure (PostgreSQL restarting) reopens after a pause and
   * resumes from the committed positions.
   */
  async run(signal: AbortSignal): Promise<void> {
    let opened = false;
    while (!signal.aborted) {
      try {
        if (!(await this.open(signal))) return;
        opened = true;
        while (!signal.aborted) await this.step();
      } catch (err) {
        if (!opened) throw err;
        this.lastError = (err as Error).message;
        await sleep(1000, undefined, { signal }).catch(() => {});
      } finally {
        await this.close();
      }
    }
  }

  /** The last error a running sink recovered from, if any. */
  lastError: string | null = null;

  /** Writes everything the topic holds now; returns the records read. */
  async runOnce(): Promise<number> {
    try {
      if (!(await this.open(null))) return 0;
      let total = 0;
      for (;;) {
        const n = await this.step(0);
        if (n === 0) return total;
        total += n;
      }
    } finally {
      await this.close();
    }
  }

  status(): string {
    return `${this.stats.rowsWritten} rows in realtime_events${this.lastError ? ` (last error: ${this.lastError})` : ''}`;
  }

  private async open(signal: AbortSignal | null): Promise<boolean> {
    const { log, url } = this.options;
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {}); // a dropped connection fails the next query, which run reports
    try {
      await client.connect();
      await client.query(warehouseDdl(this.schema.slice(1, -1)));
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
      throw new WarehouseError(`the warehouse on ${describePostgres(url)}: ${(err as Error).message}`, err);
    }
    this.client = client;
    // The relay creates the topic (and chooses its partitions): wait for it.
    let info = await log.topic(COMMERCE_EVENTS_TOPIC);
    while (!info) {
      if (signal === null || signal.aborted) return false;
      await sleep(500);
      info = await log.topic(COMMERCE_EVENTS_TOPIC);
    }
    const positions = await this.positions();
    const consumer = log.consumer({ group: this.group, topics: [COMMERCE_EVENTS_TOPIC], from: 'earliest' });
    for (const p of info.partitions) {
      const at = positions.get(p.partition);
      if (at === undefined) {
        await client.query(
          `INSERT INTO ${this.schema}.streamrec_offsets ("group", topic, "partition", next_offset) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
          [this.group, COMMERCE_EVENTS_TOPIC, p.partition, p.startOffset],
        );
      }
      consumer.seek(COMMERCE_EVENTS_TOPIC, p.partition, Math.max(p.startOffset, at ?? p.startOffset));
    }
    this.consumer = consumer;
    return true;
  }

  private async positions(): Promise<Map<number, number>> {
    const res = await this.client!.query<{ partition: number; next_offset: string }>(
      `SELECT "partition", next_offset FROM ${this.schema}.streamrec_offsets WHERE "group" = $1 AND topic = $2`,
      [this.group, COMMERCE_EVENTS_TOPIC],
    );
    return new Map(res.rows.map((r) => [r.partition, Number(r.next_offset)]));
  }

  /** One batch in one transaction; returns the records read. */
  private async step(timeoutMs = this.options.pollTimeoutMs ?? 200): Promise<number> {
    const consumer = this.consumer!;
    const client = this.client!;
    const records = await consumer.poll({ maxRecords: this.options.batchSize ?? 2000, timeoutMs });
    if (records.length === 0) return 0;
    // Per partition: where this batch starts (what the position must say) and where it ends.
    const span = new Map<number, { from: number; next: number }>();
    for (const r of records) {
      const s = span.get(r.partition);
      if (s) s.next = r.offset + 1;
      else span.set(r.partition, { from: r.offset, next: r.offset + 1 });
    }
    const rows: RawCommerceRow[] = [];
    for (const r of records) {
      const row = decodeRawCommerce(r);
      if (row) rows.push(row);
      else this.stats.recordsSkipped++;
    }
    await client.query('BEGIN');
    try {
      const locked = await client.query<{ partition: number; next_offset: string }>(
        `SELECT "partition", next_offset FROM ${this.schema}.streamrec_offsets WHERE "group" = $1 AND topic = $2 AND "partition" = ANY($3::int[]) FOR UPDATE`,
        [this.group, COMMERCE_EVENTS_TOPIC, [...span.keys()]],
      );
      const at = new Map(locked.rows.map((r) => [r.partition, Number(r.next_offset)]));
      const moved = [...span].filter(([p, s]) => at.get(p) !== s.from);
      if (moved.length > 0) {
        // Another sink of this group wrote past us (or a position was reset): start from it.
        await client.query('ROLLBACK');
        this.stats.conflicts++;
        for (const [p, s] of span) consumer.seek(COMMERCE_EVENTS_TOPIC, p, at.get(p) ?? s.from);
        return records.length;
      }
      const inserted = rows.length === 0 ? 0 : await this.insert(rows);
      this.stats.duplicatesSkipped += rows.length - inserted;
      await client.query(
        `UPDATE ${this.schema}.streamrec_offsets AS o SET next_offset = v.next
         FROM unnest($3::int[], $4::bigint[]) AS v(p, next)
         WHERE o."group" = $1 AND o.topic = $2 AND o."partition" = v.p`,
        [this.group, COMMERCE_EVENTS_TOPIC, [...span.keys()], [...span.values()].map((s) => s.next)],
      );
      await this.options.beforeCommit?.(rows.length);
      await client.query('COMMIT');
      this.stats.rowsWritten += inserted;
      this.stats.batches++;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw new WarehouseError(`the warehouse on ${describePostgres(this.options.url)}: ${(err as Error).message}`, err);
    }
    await consumer.commit([...span].map(([partition, s]) => ({ topic: COMMERCE_EVENTS_TOPIC, partition, offset: s.next }))).catch(() => {});
    return records.length;
  }

  /** One INSERT of the batch (unnest of column arrays); returns the rows inserted. */
  private async insert(rows: RawCommerceRow[]): Promise<number> {
    const res = await this.client!.query(
      `INSERT INTO ${this.schema}.realtime_events (event_type, event_id, customer_id, "timestamp", payload, source_partition, source_offset)
       SELECT t, e, c, to_timestamp(ms / 1000.0), p::jsonb, sp, so
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::int[], $7::bigint[]) AS v(t, e, c, ms, p, sp, so)
       ON CONFLICT (event_type, event_id, source_partition, source_offset) DO NOTHING`,
      [
        rows.map((r) => r.event_type),
        rows.map((r) => r.event_id),
        rows.map((r) => r.customer_id),
        rows.map((r) => r.timestamp),
        rows.map((r) => r.payload),
        rows.map((r) => r.source_partition),
        rows.map((r) => r.source_offset),
      ],
    );
    return res.rowCount ?? 0;
  }

  private async close(): Promise<void> {
    await this.consumer?.close().catch(() => {});
    this.consumer = null;
    await this.client?.end().catch(() => {});
    this.client = null;
  }
}

/** Whether PostgreSQL at `url` answers: 'ok' or the error's message (for `/commerce/health`). */
export async function checkPostgres(url: string, timeoutMs = 2000): Promise<string> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

