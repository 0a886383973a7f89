/**
 * The dashboard's state and how stream events change it. Pure data: no DOM, no EventSource, so
 * the rules (which window is "current", how the total grows, what the charts plot) live here.
 */
import type { HealthResponse, MetricsRecord, StreamSnapshot } from '../../src/server/metrics-contract.js';

export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting';

export const TUMBLING = 'tumbling_1min';
export const SLIDING = 'sliding_5min';
/** Final tumbling results kept for the over-time charts. */
export const HISTORY_POINTS = 120;
/** Events-per-second samples kept for the KPI sparkline (one a second). */
export const RATE_SAMPLES = 90;
const MAX_SLIDING = 12;
const MAX_COUNTED = 4096;

export interface RateSample {
  t: number;
  v: number;
}

export interface DashboardState {
  /** False until a snapshot with a summary or history, or the first metrics event, arrives. */
  hasData: boolean;
  /** Whether any snapshot arrived yet (until then, "no data" is not known). */
  snapshotSeen: boolean;
  /** `summary.ratings_total_since_start` at the last snapshot. */
  totalBase: number;
  /** Counts of final tumbling windows received since that snapshot. */
  totalExtra: number;
  /** Keys (type|start) of final windows already counted in the total. */
  counted: Set<string>;
  /** The newest tumbling result (the current window, final or not). */
  tumbling: MetricsRecord | null;
  /** Sliding results by window start, newest version of each. */
  sliding: Map<string, MetricsRecord>;
  /** Final tumbling results, oldest first, at most HISTORY_POINTS. */
  history: MetricsRecord[];
  health: HealthResponse | null;
  rate: RateSample[];
  connection: ConnectionStatus;
  /** Client clock (ms) of the last message of any kind, and of the last metrics result. */
  lastMessageAt: number | null;
  lastMetricsAt: number | null;
  /** Bumped on every change; renderers compare it to skip work. */
  version: number;
}

export function initialState(): DashboardState {
  return {
    hasData: false,
    snapshotSeen: false,
    totalBase: 0,
    totalExtra: 0,
    counted: new Set(),
    tumbling: null,
    sliding: new Map(),
    history: [],
    health: null,
    rate: [],
    connection: 'connecting',
    lastMessageAt: null,
    lastMetricsAt: null,
    version: 0,
  };
}

const keyOf = (r: MetricsRecord): string => `${r.window_type}|${r.window_start}`;
const ms = (iso: string): number => Date.parse(iso);
const isTumbling = (r: MetricsRecord): boolean => r.window_type === TUMBLING || r.window_type.startsWith('tumbling');
const isSliding = (r: MetricsRecord): boolean => r.window_type === SLIDING || r.window_type.startsWith('sliding');

/** Whether `next` should replace `cur` as the same window's result (a final is never replaced by a non-final). */
function supersedes(next: MetricsRecord, cur: MetricsRecord | undefined | null): boolean {
  if (!cur) return true;
  if (cur.final && !next.final) return false;
  return true;
}

/** Whether `r` is a record the dashboard can use (a malformed one is skipped, never thrown on). */
export function isRecord(r: unknown): r is MetricsRecord {
  if (typeof r !== 'object' || r === null) return false;
  const m = r as Partial<MetricsRecord>;
  return typeof m.window_start === 'string' && typeof m.window_end === 'string' && typeof m.window_type === 'string'
    && typeof m.count === 'number' && !Number.isNaN(ms(m.window_start));
}

function markCounted(s: DashboardState, key: string): void {
  s.counted.add(key);
  if (s.counted.size > MAX_COUNTED) {
    const first = s.counted.values().next();
    if (!first.done) s.counted.delete(first.value);
  }
}

function upsertHistory(s: DashboardState, r: MetricsRecord): void {
  const t = ms(r.window_start);
  const h = s.history;
  let i = h.length;
  while (i > 0 && ms((h[i - 1] as MetricsRecord).window_start) > t) i--;
  const prev = h[i - 1];
  if (prev && prev.window_start === r.window_start) h[i - 1] = r;
  else h.splice(i, 0, r);
  if (h.length > HISTORY_POINTS) h.splice(0, h.length - HISTORY_POINTS);
}

function setTumbling(s: DashboardState, r: MetricsRecord): void {
  const cur = s.tumbling;
  if (!cur || ms(r.window_start) > ms(cur.window_start)) s.tumbling = r;
  else if (r.window_start === cur.window_start && supersedes(r, cur)) s.tumbling = r;
}

function setSliding(s: DashboardState, r: MetricsRecord): void {
  if (!supersedes(r, s.sliding.get(r.window_start))) return;
  s.sliding.set(r.window_start, r);
  if (s.sliding.size > MAX_SLIDING) {
    const oldest = [...s.sliding.keys()].sort((a, b) => ms(a) - ms(b)).slice(0, s.sliding.size - MAX_SLIDING);
    for (const k of oldest) s.sliding.delete(k);
  }
}

function pushRate(s: DashboardState, h: HealthResponse, now: number): void {
  if (typeof h.events_per_second !== 'number' || !Number.isFinite(h.events_per_second)) return;
  s.rate.push({ t: now, v: h.events_per_second });
  if (s.rate.length > RATE_SAMPLES) s.rate.splice(0, s.rate.length - RATE_SAMPLES);
}

/** The `snapshot` event (first message of every connection, including reconnections). */
export function applySnapshot(s: DashboardState, snap: StreamSnapshot, now = Date.now()): void {
  const summary = snap.summary ?? null;
  const history = Array.isArray(snap.history) ? snap.history.filter(isRecord) : [];
  // The snapshot's total covers every final window so far: start counting afresh from it.
  s.totalBase = typeof summary?.ratings_total_since_start === 'number' ? summary.ratings_total_since_start : 0;
  s.totalExtra = 0;
  for (const r of history) {
    if (!isTumbling(r)) continue;
    markCounted(s, keyOf(r));
    upsertHistory(s, r.final === false ? { ...r, final: true } : r);
  }
  const tumbling = summary?.tumbling && isRecord(summary.tumbling) ? summary.tumbling : null;
  if (tumbling) {
    if (tumbling.final) {
      markCounted(s, keyOf(tumbling));
      upsertHistory(s, tumbling);
    }
    s.tumbling = tumbling;
  } else if (!s.tumbling && history.length > 0) {
    s.tumbling = history[history.length - 1] ?? null;
  }
  const sliding = summary?.sliding && isRecord(summary.sliding) ? summary.sliding : null;
  if (sliding) setSliding(s, sliding);
  if (snap.health) {
    s.health = snap.health;
    pushRate(s, snap.health, now);
  }
  s.hasData = s.hasData || summary !== null || history.length > 0;
  s.snapshotSeen = true;
  s.lastMessageAt = now;
  s.version++;
}

/** A `metrics` event: one window result. */
export function applyMetrics(s: DashboardState, r: MetricsRecord, now = Date.now()): void {
  if (!isRecord(r)) return;
  if (isTumbling(r)) {
    setTumbling(s, r);
    if (r.final) {
      upsertHistory(s, r);
      const key = keyOf(r);
      if (!s.counted.has(key)) {
        markCounted(s, key);
        s.totalExtra += r.count;
      }
    }
  } else if (isSliding(r)) {
    setSliding(s, r);
  } else {
    return;
  }
  s.hasData = true;
  s.lastMessageAt = now;
  s.lastMetricsAt = now;
  s.version++;
}

/** A `health` event. */
export function applyHealth(s: DashboardState, h: HealthResponse, now = Date.now()): void {
  if (typeof h !== 'object' || h === null) return;
  s.health = h;
  pushRate(s, h, now);
  s.lastMessageAt = now;
  s.version++;
}

export function setConnection(s: DashboardState, c: ConnectionStatus): void {
  if (s.connection === c) return;
  s.connection = c;
  s.version++;
}

/**
 * Total ratings: what the pipeline has processed (from health); before the first health report,
 * the snapshot's total of closed windows plus finals since.
 */
export function totalRatings(s: DashboardState): number {
  const processed = s.health?.ratings_processed;
  return typeof processed === 'number' && processed > 0 ? processed : s.totalBase + s.totalExtra;
}

/**
 * The sliding window shown for top movies and genres: the open window that closes first (it
 * covers the last five minutes), or when none is open the newest final one.
 */
export function currentSliding(s: DashboardState): MetricsRecord | null {
  let latestFinal: MetricsRecord | null = null;
  for (const r of s.sliding.values()) {
    if (r.final && (!latestFinal || ms(r.window_end) > ms(latestFinal.window_end))) latestFinal = r;
  }
  const closedUpTo = latestFinal ? ms(latestFinal.window_end) : -Infinity;
  let open: MetricsRecord | null = null;
  for (const r of s.sliding.values()) {
    if (r.final || ms(r.window_end) <= closedUpTo) continue;
    if (!open || ms(r.window_end) < ms(open.window_end)) open = r;
  }
  return open ?? latestFinal;
}

/** The record behind the top-movies and genre panels: sliding, else the current tumbling window. */
export function rankingSource(s: DashboardState): MetricsRecord | null {
  return currentSliding(s) ?? s.tumbling;
}

/** The last final tumbling window before the current one (for KPI deltas). */
export function previousFinal(s: DashboardState): MetricsRecord | null {
  const cur = s.tumbling;
  for (let i = s.history.length - 1; i >= 0; i--) {
    const r = s.history[i] as MetricsRecord;
    if (!cur || ms(r.window_start) < ms(cur.window_start)) return r;
  }
  return null;
}

/** The current window when it is still open (not yet in history): the charts' live point. */
export function openWindow(s: DashboardState): MetricsRecord | null {
  const cur = s.tumbling;
  if (!cur || cur.final) return null;
  const last = s.history[s.history.length - 1];
  return !last || ms(cur.window_start) > ms(last.window_start) ? cur : null;
}
