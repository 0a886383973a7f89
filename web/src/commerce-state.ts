/**
 * The Commerce page's state and rules: what `/commerce/stream` (a `snapshot` at connect: the
 * summary, the recent windows and the newest orders; then a `summary` event, the summary with the
 * newest orders, on each change) and the initial GET of the orders mean for the KPIs, the revenue per
 * window, the category, behaviour and search figures and the latest orders. Pure data: no DOM,
 * no EventSource (as state.ts for the dashboard, clicks-state.ts for the Clicks page).
 *
 * The summary carries the latest 30-second window (open or final) and the totals since the
 * server started following; every window the page hears of (from the history, the snapshot or a
 * summary) is kept by its start, the newest version of each, so the revenue chart fills in as
 * windows open and close. Orders are merged by transaction id, newest first. Anything malformed
 * is skipped, never thrown on.
 */
import {
  BEHAVIOR_ACTIONS,
  type CommerceSummary,
  type CommerceWindowFigures,
  type RecentOrder,
} from '../../src/pipelines/commerce/commerce-contract.js';
import type { ConnectionStatus } from './state.js';

/** The window width the pipeline uses (each window says its own; this is the fallback). */
export const WINDOW_MS = 30_000;
/** Windows the revenue chart shows (10 minutes). */
export const CHART_WINDOWS = 20;
/** Windows kept in the state. */
export const MAX_WINDOWS = 60;
/** Orders the table shows. */
export const MAX_ORDERS = 20;
/** Search terms the page lists. */
export const TOP_SEARCHES = 8;

/** One window as the page keeps it. */
export interface WindowPoint {
  start: number;
  end: number;
  final: boolean;
  figures: CommerceWindowFigures;
}

export interface CommerceState {
  summary: CommerceSummary | null;
  /** Windows by start (ms), the newest version of each. */
  windows: Map<number, WindowPoint>;
  /** Recent orders, newest first, at most MAX_ORDERS. */
  orders: RecentOrder[];
  /** Transaction ids of orders that arrived after the first ones (the table highlights them). */
  fresh: Set<number>;
  /** Whether any data (summary, history, orders or snapshot) arrived. */
  hasData: boolean;
  connection: ConnectionStatus;
  frozenAt: number | null;
  /** Client clock (ms) of the last message, null before the first. */
  lastMessageAt: number | null;
  /** Bumped on every change; renderers compare it to skip work. */
  version: number;
}

export function initialCommerceState(): CommerceState {
  return {
    summary: null, windows: new Map(), orders: [], fresh: new Set(), hasData: false,
    connection: 'connecting', frozenAt: null, lastMessageAt: null, version: 0,
  };
}

// ---- validation (the wire is trusted for shape, not for sanity) ----

const num = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const count = (n: unknown): n is number => num(n) && n >= 0;
const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const ms = (t: unknown): number => (typeof t === 'string' ? Date.parse(t) : num(t) ? t : NaN);

/** The figures of a window, with every part the page reads made safe (missing maps are empty). */
export function cleanFigures(x: unknown): CommerceWindowFigures | null {
  if (!obj(x) || !count(x.transactions) || !num(x.revenue)) return null;
  const categories: CommerceWindowFigures['categories'] = {};
  if (obj(x.categories)) {
    for (const [name, v] of Object.entries(x.categories)) {
      if (obj(v) && count(v.units) && num(v.revenue)) categories[name] = { units: v.units, revenue: v.revenue };
    }
  }
  const behaviors: Record<string, number> = {};
  if (obj(x.behaviors)) for (const [k, v] of Object.entries(x.behaviors)) if (count(v)) behaviors[k] = v;
  const top_searches = Array.isArray(x.top_searches)
    ? x.top_searches.filter((t): t is { query: string; count: number } => obj(t) && typeof t.query === 'string' && count(t.count)).map((t) => ({ query: t.query, count: t.count }))
    : [];
  const cart = obj(x.cart) ? x.cart : {};
  const adds = count(cart.adds) ? cart.adds : 0;
  const removes = count(cart.removes) ? cart.removes : 0;
  return {
    transactions: x.transactions,
    revenue: x.revenue,
    avg_order_value: num(x.avg_order_value) ? x.avg_order_value : x.transactions > 0 ? x.revenue / x.transactions : null,
    distinct_customers: count(x.distinct_customers) ? x.distinct_customers : 0,
    categories,
    behaviors,
    top_searches,
    cart: { adds, removes, conversion: num(cart.conversion) ? cart.conversion : adds > 0 ? x.transactions / adds : null },
  };
}

/**
 * A window from the wire: `{window_start, window_end, final, figures}` (the summary's shape) or
 * the pipeline's result record (the envelope with the figures beside it). Null when malformed.
 */
export function toWindow(x: unknown): WindowPoint | null {
  if (!obj(x)) return null;
  const start = ms(x.window_start);
  const end = ms(x.window_end);
  if (Number.isNaN(start) || !(end > start)) return null;
  const figures = cleanFigures(obj(x.figures) ? x.figures : x);
  if (!figures) return null;
  return { start, end, final: x.final === true, figures };
}

function isSummary(x: unknown): x is CommerceSummary {
  return obj(x) && toWindow(x) !== null && obj(x.totals) && count(x.totals.transactions) && num(x.totals.revenue);
}

/**
 * Whether `a` is older than `b`, the summary the page has: an earlier window, or the same window
 * updated earlier. (The initial GET may answer after the stream's first summary.)
 */
function isOlder(a: CommerceSummary, b: CommerceSummary | null): boolean {
  if (!b) return false;
  const sa = ms(a.window_start);
  const sb = ms(b.window_start);
  if (sa !== sb) return sa < sb;
  if (b.final && !a.final) return true;
  const ua = ms(a.updated_at);
  const ub = ms(b.updated_at);
  return !Number.isNaN(ua) && !Number.isNaN(ub) && ua < ub;
}

function isOrder(x: unknown): x is RecentOrder {
  return obj(x) && num(x.transaction_id) && num(x.customer_id) && num(x.total) && count(x.items_count) && !Number.isNaN(ms(x.timestamp));
}

// ---- events ----

/** Keeps `w` unless a final version of that window is already there (a final is never undone). */
function putWindow(s: CommerceState, w: WindowPoint): void {
  const had = s.windows.get(w.start);
  if (had?.final && !w.final) return;
  s.windows.set(w.start, w);
  if (s.windows.size > MAX_WINDOWS) {
    const starts = [...s.windows.keys()].sort((a, b) => a - b);
    for (const t of starts.slice(0, s.windows.size - MAX_WINDOWS)) s.windows.delete(t);
  }
}

/** A `summary` event or `GET /commerce/summary`: the latest window and the totals. */
export function applySummary(s: CommerceState, sum: unknown, now = Date.now()): boolean {
  if (!isSummary(sum)) return false;
  const w = toWindow(sum)!;
  if (isOlder(sum, s.summary)) return false;
  s.summary = { ...sum, figures: w.figures };
  putWindow(s, w);
  // A summary event may carry the newest orders too.
  const orders: unknown = (sum as { orders?: unknown }).orders;
  if (Array.isArray(orders)) mergeOrders(s, orders);
  touch(s, now);
  return true;
}

/** `GET /commerce/history` (a list, or `{items}`): recent windows, any order. */
export function applyHistory(s: CommerceState, history: unknown, now = Date.now()): boolean {
  const items = Array.isArray(history) ? history : obj(history) && Array.isArray(history.items) ? history.items : null;
  if (!items) return false;
  let any = false;
  for (const x of items) {
    const w = toWindow(x);
    if (w) {
      putWindow(s, w);
      any = true;
    }
  }
  if (any) touch(s, now);
  return any;
}

/** Orders from `GET /commerce/orders` (`{orders}`, or a list) or an event: merged by transaction id, newest first. */
export function applyOrders(s: CommerceState, orders: unknown, now = Date.now()): boolean {
  const list = Array.isArray(orders) ? orders
    : obj(orders) && Array.isArray(orders.orders) ? orders.orders
      : obj(orders) && Array.isArray(orders.items) ? orders.items : null;
  if (!list) return false;
  mergeOrders(s, list);
  touch(s, now);
  return true;
}

/**
 * Merges a batch of the newest orders (newest first) into the table's. When the batch shares no
 * order with the table and is newer than all of it, orders may have been missed in between (the
 * shop sold more than a batch holds since the last one): the table then starts again from the
 * batch, so it never shows a gap as if the rows below were the next-latest orders.
 */
function mergeOrders(s: CommerceState, list: unknown[]): void {
  const first = s.orders.length === 0;
  const batch = list.filter(isOrder);
  if (batch.length === 0) return;
  const known = new Set(s.orders.map((o) => o.transaction_id));
  const newestKnown = Math.max(...s.orders.map((o) => ms(o.timestamp)));
  const gap = !first && !batch.some((o) => known.has(o.transaction_id)) && batch.every((o) => ms(o.timestamp) >= newestKnown);
  const byId = new Map(gap ? [] : s.orders.map((o) => [o.transaction_id, o]));
  for (const o of batch) {
    if (!first && !known.has(o.transaction_id)) s.fresh.add(o.transaction_id);
    byId.set(o.transaction_id, o);
  }
  s.orders = [...byId.values()]
    .sort((a, b) => ms(b.timestamp) - ms(a.timestamp) || b.transaction_id - a.transaction_id)
    .slice(0, MAX_ORDERS);
  const kept = new Set(s.orders.map((o) => o.transaction_id));
  for (const id of s.fresh) if (!kept.has(id)) s.fresh.delete(id);
}

/**
 * The stream's events: `snapshot` (a `CommerceStreamSnapshot`, sent on every connection: the
 * summary or null, the recent windows, the newest orders) and `summary` (a
 * `CommerceStreamSummary`: the summary with the newest orders).
 */
export function applySnapshot(s: CommerceState, snap: unknown, now = Date.now()): boolean {
  if (!obj(snap)) return false;
  let any = false;
  if (Array.isArray(snap.history) || obj(snap.history)) any = applyHistory(s, snap.history, now) || any;
  if (Array.isArray(snap.windows)) any = applyHistory(s, snap.windows, now) || any;
  if (Array.isArray(snap.orders)) any = applyOrders(s, snap.orders, now) || any;
  if (obj(snap.summary)) any = applySummary(s, snap.summary, now) || any;
  else if (isSummary(snap)) any = applySummary(s, snap, now) || any;
  // A snapshot before the first window is still an answer: the page leaves "connecting".
  s.hasData = true;
  touch(s, now);
  return any;
}

function touch(s: CommerceState, now: number): void {
  s.hasData = true;
  s.lastMessageAt = now;
  s.version++;
}

export function setCommerceConnection(s: CommerceState, c: ConnectionStatus, now = Date.now()): void {
  if (s.connection === c) return;
  if (c !== 'live') s.frozenAt ??= now;
  else s.frozenAt = null;
  s.connection = c;
  s.version++;
}

// ---- what the page shows ----

export interface CommerceKpis {
  /** The latest window's figures (null before any). */
  revenue: number | null;
  orders: number | null;
  aov: number | null;
  customers: number | null;
  conversion: number | null;
  cart: { adds: number; removes: number } | null;
  /** Since the server started following. */
  totalRevenue: number | null;
  totalOrders: number | null;
  /** totalRevenue / totalOrders. */
  totalAov: number | null;
  /** The latest window's start and end (ms), and whether it is final. */
  window: { start: number; end: number; final: boolean } | null;
}

export function commerceKpis(s: CommerceState): CommerceKpis {
  const sum = s.summary;
  if (!sum) {
    return { revenue: null, orders: null, aov: null, customers: null, conversion: null, cart: null, totalRevenue: null, totalOrders: null, totalAov: null, window: null };
  }
  const f = sum.figures;
  const t = sum.totals;
  return {
    revenue: f.revenue,
    orders: f.transactions,
    aov: f.avg_order_value,
    customers: f.distinct_customers,
    conversion: f.cart.conversion,
    cart: { adds: f.cart.adds, removes: f.cart.removes },
    totalRevenue: t.revenue,
    totalOrders: t.transactions,
    totalAov: t.transactions > 0 ? t.revenue / t.transactions : null,
    window: { start: ms(sum.window_start), end: ms(sum.window_end), final: sum.final },
  };
}

/** One bar of the revenue chart. */
export interface RevenueBar {
  start: number;
  end: number;
  revenue: number;
  orders: number;
  /** Whether the server sent this window (a gap between sent windows is a window with no events). */
  known: boolean;
  final: boolean;
}

/**
 * The revenue per window for the last CHART_WINDOWS windows up to the newest one heard of, gaps
 * filled with zero bars so time reads evenly. Empty before any window.
 */
export function revenueBars(s: CommerceState): RevenueBar[] {
  const starts = [...s.windows.keys()].sort((a, b) => a - b);
  const last = starts[starts.length - 1];
  if (last === undefined) return [];
  const newest = s.windows.get(last)!;
  const width = newest.end - newest.start > 0 ? newest.end - newest.start : WINDOW_MS;
  const bars: RevenueBar[] = [];
  for (let i = CHART_WINDOWS - 1; i >= 0; i--) {
    const start = last - i * width;
    const w = s.windows.get(start);
    if (!w && start < (starts[0] ?? start)) continue; // nothing known that far back: no leading zeros
    bars.push({ start, end: start + width, revenue: w?.figures.revenue ?? 0, orders: w?.figures.transactions ?? 0, known: w !== undefined, final: w?.final ?? true });
  }
  return bars;
}

export interface CategoryRow {
  category: string;
  units: number;
  revenue: number;
  /** Share of the window's category revenue (0–1). */
  share: number;
}

/** The latest window's categories, by revenue (ties by name). */
export function categoryRows(s: CommerceState): CategoryRow[] {
  const cats = s.summary?.figures.categories ?? {};
  const total = Object.values(cats).reduce((a, c) => a + c.revenue, 0);
  return Object.entries(cats)
    .map(([category, c]) => ({ category, units: c.units, revenue: c.revenue, share: total > 0 ? c.revenue / total : 0 }))
    .sort((a, b) => b.revenue - a.revenue || a.category.localeCompare(b.category));
}

const BEHAVIOR_LABELS: Record<string, string> = {
  page_view: 'Page views',
  product_view: 'Product views',
  add_to_cart: 'Add to cart',
  remove_from_cart: 'Remove from cart',
  search: 'Searches',
};

/** "Page views" for `page_view`; an unknown action reads as its words. */
export function behaviorLabel(action: string): string {
  return BEHAVIOR_LABELS[action] ?? action.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

export interface BehaviorRow {
  action: string;
  label: string;
  count: number;
}

/** The latest window's behaviours: the known actions in their order (zeros too), then any others by count. */
export function behaviorRows(s: CommerceState): BehaviorRow[] {
  if (!s.summary) return [];
  const b = s.summary.figures.behaviors;
  const known: readonly string[] = BEHAVIOR_ACTIONS;
  const rows = BEHAVIOR_ACTIONS.map((a) => ({ action: a, label: behaviorLabel(a), count: b[a] ?? 0 }));
  const others = Object.entries(b).filter(([a]) => !known.includes(a))
    .map(([a, n]) => ({ action: a, label: behaviorLabel(a), count: n }))
    .sort((x, y) => y.count - x.count || x.action.localeCompare(y.action));
  return [...rows, ...others];
}

/** The latest window's most searched terms, most first (ties by query), at most `n`. */
export function topSearches(s: CommerceState, n = TOP_SEARCHES): { query: string; count: number }[] {
  return (s.summary?.figures.top_searches ?? []).slice()
    .sort((a, b) => b.count - a.count || a.query.localeCompare(b.query))
    .slice(0, n);
}

/** The shop's amounts: two decimals with grouping, "1,234.50"; "—" for none. */
export function fmtMoney(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Axis labels for amounts: 950 → "950", 12,500 → "12.5k", 2,000,000 → "2M". */
export function fmtMoneyShort(n: number): string {
  const a = Math.abs(n);
  const trim = (x: number) => x.toFixed(1).replace(/\.0$/, '');
  if (a >= 1_000_000) return `${trim(n / 1_000_000)}M`;
  if (a >= 10_000) return `${trim(n / 1_000)}k`;
  return Math.round(n).toLocaleString('en-US');
}

/**
 * Cart conversion (transactions / adds, the pipeline's figure) as a ratio, "0.45" or "18.04": a
 * percentage would read "1,804%" whenever orders outnumber adds to cart (the shop's orders need
 * no cart), so the page shows the plain ratio with its unit in the caption.
 */
export function fmtConversion(n: number | null | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}
