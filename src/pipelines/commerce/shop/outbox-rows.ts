/**
 * What the relay reads from the outbox: a row as the log record it becomes (the stored payload
 * already is: the store writes each with its event_id), the position after it, and a page of
 * rows as ONE text value. pg builds an object and a string per column per row; for the relay
 * that cost more than appending the rows to the log, so PostgreSQL joins a page into one string
 * (fields split by \x01, rows by \x02) and `splitOutboxPage` cuts it here.
 */

/** Where the relay is in the outbox: the last row moved (PostgreSQL: its writing transaction's id too). */
export interface OutboxPosition {
  id: number;
  /** PostgreSQL: the xid8 (as text) of the last row's writing transaction. */
  xid?: string;
}

/** One outbox row as the relay reads it: already the log record it becomes (key, value, timestamp). */
export interface OutboxRow {
  topic: string;
  /** The customer id as text: the record key. */
  key: string;
  /** The event's JSON, `{"event_id":<id>,"customer_id":…}`. */
  value: string;
  /** created_at, epoch ms. */
  timestamp: number;
  id: number;
  /** PostgreSQL: the writing transaction's xid8, as text. */
  xid?: string;
}

/** The relay's position after a row. */
export function positionAfter(row: OutboxRow): OutboxPosition {
  return row.xid === undefined ? { id: row.id } : { id: row.id, xid: row.xid };
}

/** The event's JSON with the outbox id put first, as the store writes a payload (drafted without it). */
export function recordValue(id: number | string, payload: string): string {
  return `{"event_id":${id},${payload.slice(1)}`;
}

const EVENT_ID = '{"event_id":';

/**
 * The record a stored payload is: the payload itself, which carries its event_id (the store
 * writes it so); a row written before it did gets it put in front here.
 */
export function recordOf(id: number | string, payload: string): string {
  return payload.startsWith(EVENT_ID) ? payload : recordValue(id, payload);
}

const FIELD = '\x01';
const ROW = '\x02';

/**
 * The select list that makes one page one text value, from a subquery `p` of outbox rows in (xid,
 * id) order: each row `topic␁customer_id␁created_at␁xid␁id␁payload`. The payload is last and is
 * JSON, which never holds a raw control character, so the cut is exact. The rows are joined as
 * the subquery gives them — an ORDER BY inside the aggregate would sort them again, which cost
 * the database more than reading them — and `splitOutboxPage` checks the order (and sorts if
 * ever it is not), so the relay's position never depends on it.
 */
export const OUTBOX_PAGE_SELECT = `count(*) AS n, string_agg(concat_ws(E'\\x01', p.topic, p.customer_id, p.created_at, p.xid, p.id, p.payload), E'\\x02') AS page`;

/** Outbox order: by writing transaction (xid8 as decimal text, no leading zeros), then id. */
export function compareOutboxOrder(a: OutboxRow, b: OutboxRow): number {
  const x = a.xid ?? '';
  const y = b.xid ?? '';
  if (x !== y) return x.length !== y.length ? x.length - y.length : x < y ? -1 : 1;
  return a.id - b.id;
}

/** The rows of a page `OUTBOX_PAGE_SELECT` joined, in outbox order; null if it does not hold `expected` well-formed rows. */
export function splitOutboxPage(page: string, expected: number): OutboxRow[] | null {
  const lines = page.split(ROW);
  if (lines.length !== expected) return null;
  const rows = new Array<OutboxRow>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const a = line.indexOf(FIELD);
    const b = line.indexOf(FIELD, a + 1);
    const c = line.indexOf(FIELD, b + 1);
    const d = line.indexOf(FIELD, c + 1);
    const e = line.indexOf(FIELD, d + 1);
    if (a < 0 || b < 0 || c < 0 || d < 0 || e < 0 || line.charCodeAt(e + 1) !== 0x7b /* { */) return null;
    const id = line.slice(d + 1, e);
    // The payload as stored is the record (a slice of the page: nothing copied).
    const value = line.startsWith(EVENT_ID, e + 1) ? line.slice(e + 1) : recordValue(id, line.slice(e + 1));
    rows[i] = { topic: line.slice(0, a), key: line.slice(a + 1, b), value, timestamp: Number(line.slice(b + 1, c)), id: Number(id), xid: line.slice(c + 1, d) };
  }
  for (let i = 1; i < rows.length; i++) {
    if (compareOutboxOrder(rows[i - 1]!, rows[i]!) >= 0) return rows.sort(compareOutboxOrder);
  }
  return rows;
}
