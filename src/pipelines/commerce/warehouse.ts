/**
 * The warehouse: the seed's DWH table `realtime_events(event_type, customer_id, timestamp,
 * processed_at, payload)` in PostgreSQL, written from the five commerce topics exactly once.
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
import { COMMERCE_TOPICS } from './commerce-contract.js';
import { decodeRawCommerce, type RawCommerceRow } from './commerce-lake.js';

export const WAREHOUSE_GROUP = 'warehouse-commerce';
/** The union topic the relay once wrote every event to; positions on it mean a warehouse filled from it. */
const FORMER_UNION_TOPIC = 'commerce.events';

/** A source partition: `<topic>/<partition>` (the map key of positions and spans). */
type Slot = string;
const slotOf = (topic: string, partition: number): Slot => `${topic}/${partition}`;
function splitSlot(slot: Slot): { topic: string; partition: number } {
  const at = slot.lastIndexOf('/');
  return { topic: slot.slice(0, at), partition: Number(slot.slice(at + 1)) };
}

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
   * Follows the commerce topics until the signal aborts. A failure to open at first is thrown (a
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
    const positions = await this.positions();
    if ([...positions.keys()].some((slot) => splitSlot(slot).topic === FORMER_UNION_TOPIC)) {
      const s = this.schema;
      throw new WarehouseError(
        `the warehouse on ${describePostgres(url)} (group ${this.group}) was filled from the former topic ${FORMER_UNION_TOPIC}; reading the five commerce topics now would write every event again. ` +
          `Empty it to rebuild it from the log: TRUNCATE ${s}.realtime_events; DELETE FROM ${s}.streamrec_offsets WHERE "group" = '${this.group}';`,
      );
    }
    // The relay creates the topics (and chooses their partitions): wait for them.
    const infos = [];
    for (const topic of COMMERCE_TOPICS) {
      let info = await log.topic(topic);
      while (!info) {
        if (signal === null || signal.aborted) return false;
        await sleep(500);
        info = await log.topic(topic);
      }
      infos.push(info);
    }
    const consumer = log.consumer({ group: this.group, topics: [...COMMERCE_TOPICS], from: 'earliest' });
    for (const info of infos) {
      for (const p of info.partitions) {
        const at = positions.get(slotOf(info.name, p.partition));
        if (at === undefined) {
          await client.query(
            `INSERT INTO ${this.schema}.streamrec_offsets ("group", topic, "partition", next_offset) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
            [this.group, info.name, p.partition, p.startOffset],
          );
        }
        consumer.seek(info.name, p.partition, Math.max(p.startOffset, at ?? p.startOffset));
      }
    }
    this.consumer = consumer;
    return true;
  }

  /** The stored positions of this sink's group, by source partition. */
  private async positions(): Promise<Map<Slot, number>> {
    const res = await this.client!.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, "partition", next_offset FROM ${this.schema}.streamrec_offsets WHERE "group" = $1`,
      [this.group],
    );
    return new Map(res.rows.map((r) => [slotOf(r.topic, r.partition), Number(r.next_offset)]));
  }

  /** One batch in one transaction; returns the records read. */
  private async step(timeoutMs = this.options.pollTimeoutMs ?? 200): Promise<number> {
    const consumer = this.consumer!;
    const client = this.client!;
    const records = await consumer.poll({ maxRecords: this.options.batchSize ?? 2000, timeoutMs });
    if (records.length === 0) return 0;
    // Per source partition: where this batch starts (what the position must say) and where it ends.
    const span = new Map<Slot, { from: number; next: number }>();
    for (const r of records) {
      const slot = slotOf(r.topic, r.partition);
      const s = span.get(slot);
      if (s) s.next = r.offset + 1;
      else span.set(slot, { from: r.offset, next: r.offset + 1 });
    }
    const where = [...span.keys()].map(splitSlot);
    const topics = where.map((w) => w.topic);
    const partitions = where.map((w) => w.partition);
    const rows: RawCommerceRow[] = [];
    for (const r of records) {
      const row = decodeRawCommerce(r);
      if (row) rows.push(row);
      else this.stats.recordsSkipped++;
    }
    await client.query('BEGIN');
    try {
      const locked = await client.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT o.topic, o."partition", o.next_offset FROM ${this.schema}.streamrec_offsets AS o
         JOIN unnest($2::text[], $3::int[]) AS v(t, p) ON o.topic = v.t AND o."partition" = v.p
         WHERE o."group" = $1 FOR UPDATE OF o`,
        [this.group, topics, partitions],
      );
      const at = new Map(locked.rows.map((r) => [slotOf(r.topic, r.partition), Number(r.next_offset)]));
      const moved = [...span].filter(([slot, s]) => at.get(slot) !== s.from);
      if (moved.length > 0) {
        // Another sink of this group wrote past us (or a position was reset): start from it.
        await client.query('ROLLBACK');
        this.stats.conflicts++;
        for (const [slot, s] of span) {
          const { topic, partition } = splitSlot(slot);
          consumer.seek(topic, partition, at.get(slot) ?? s.from);
        }
        return records.length;
      }
      const inserted = rows.length === 0 ? 0 : await this.insert(rows);
      this.stats.duplicatesSkipped += rows.length - inserted;
      await client.query(
        `UPDATE ${this.schema}.streamrec_offsets AS o SET next_offset = v.next
         FROM unnest($2::text[], $3::int[], $4::bigint[]) AS v(t, p, next)
         WHERE o."group" = $1 AND o.topic = v.t AND o."partition" = v.p`,
        [this.group, topics, partitions, [...span.values()].map((s) => s.next)],
      );
      await this.options.beforeCommit?.(rows.length);
      await client.query('COMMIT');
      this.stats.rowsWritten += inserted;
      this.stats.batches++;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw new WarehouseError(`the warehouse on ${describePostgres(this.options.url)}: ${(err as Error).message}`, err);
    }
    await consumer.commit([...span].map(([slot, s]) => ({ ...splitSlot(slot), offset: s.next }))).catch(() => {});
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

