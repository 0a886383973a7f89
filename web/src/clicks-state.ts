/**
 * The Clicks page's state and rules: what the stream's `ClicksData` means for the totals, the
 * rate and the chart. Pure data: no DOM, no EventSource (as state.ts for the dashboard).
 *
 * Every `snapshot` and `data` event carries the whole `ClicksData`, so an event replaces the
 * state. The server speaks only on change: while the stream is live, silence means no clicks,
 * so the chart's time axis keeps moving with the client's clock from the last event on (empty
 * bins are zeros) and the rate falls to 0 once the data is older than the rate's window.
 */
import type { ClickBin, ClicksData } from '../../src/pipelines/clicks/clicks-contract.js';
import type { ConnectionStatus } from './state.js';

/** The bin width the server uses (each bin says its own; this is the fallback). */
export const BIN_MS = 2_000;
/** The time span the chart shows (the server sends the bins of the last 2 minutes). */
export const SPAN_MS = 120_000;
/** `rate_per_second` covers this much of the newest bins. */
export const RATE_WINDOW_MS = 10_000;

export interface ClicksState {
  /** The newest ClicksData, null before the first event. */
  data: ClicksData | null;
  /** The server time the data reaches: its newest bin end or `updated_at`, whichever is later (ms). */
  dataEnd: number | null;
  /** Client clock (ms) when that data arrived. */
  receivedAt: number | null;
  connection: ConnectionStatus;
  /** Client clock (ms) when the stream last went out of `live` (null while live or before it ever was). */
  frozenAt: number | null;
  lastMessageAt: number | null;
  /** Bumped on every change; renderers compare it to skip work. */
  version: number;
}

export function initialClicksState(): ClicksState {
  return { data: null, dataEnd: null, receivedAt: null, connection: 'connecting', frozenAt: null, lastMessageAt: null, version: 0 };
}

const count = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
const ms = (iso: string): number => Date.parse(iso);

function isBin(b: unknown): b is ClickBin {
  if (typeof b !== 'object' || b === null) return false;
  const x = b as Partial<ClickBin>;
  return typeof x.bin_start === 'string' && typeof x.bin_end === 'string' && !Number.isNaN(ms(x.bin_start))
    && ms(x.bin_end) > ms(x.bin_start) && count(x.cheers) && count(x.hate);
}

/** Whether `d` is ClicksData the page can use (a malformed event is skipped, never thrown on). */
export function isClicksData(d: unknown): d is ClicksData {
  if (typeof d !== 'object' || d === null) return false;
  const x = d as Partial<ClicksData>;
  return typeof x.totals === 'object' && x.totals !== null && count(x.totals.cheers) && count(x.totals.hate)
    && Array.isArray(x.bins) && (typeof x.rate_per_second === 'number' || x.rate_per_second === null || x.rate_per_second === undefined);
}

/** A `snapshot` or `data` event: the whole state of the clicks, replacing the last one. */
export function applyClicksData(s: ClicksState, d: ClicksData, now = Date.now()): void {
  if (!isClicksData(d)) return;
  const bins = d.bins.filter(isBin).sort((a, b) => ms(a.bin_start) - ms(b.bin_start));
  s.data = { ...d, bins };
  let end = d.updated_at ? ms(d.updated_at) : NaN;
  const last = bins[bins.length - 1];
  if (last) end = Number.isNaN(end) ? ms(last.bin_end) : Math.max(end, ms(last.bin_end));
  s.dataEnd = Number.isNaN(end) ? null : end;
  s.receivedAt = now;
  s.lastMessageAt = now;
  s.version++;
}

export function setClicksConnection(s: ClicksState, c: ConnectionStatus, now = Date.now()): void {
  if (s.connection === c) return;
  if (c !== 'live') s.frozenAt ??= now;
  else s.frozenAt = null;
  s.connection = c;
  s.version++;
}

/**
 * The server time the page shows, in ms: the data's end moved on by the client's clock since it
 * arrived, while the stream is live (it speaks on every change, so nothing new means no clicks);
 * frozen where it stopped while the stream is down. Null before any data with a time.
 */
export function viewEnd(s: ClicksState, now: number): number | null {
  if (s.dataEnd === null || s.receivedAt === null) return null;
  const clock = s.frozenAt ?? now;
  return s.dataEnd + Math.max(0, clock - s.receivedAt);
}

export interface ClickTotals {
  cheers: number;
  hate: number;
  all: number;
  /** Cheers' share of all clicks (0–1), null with none. */
  cheersShare: number | null;
}

export function clickTotals(s: ClicksState): ClickTotals {
  const cheers = s.data?.totals.cheers ?? 0;
  const hate = s.data?.totals.hate ?? 0;
  const all = cheers + hate;
  return { cheers, hate, all, cheersShare: all > 0 ? cheers / all : null };
}

/**
 * Clicks per second now: the server's `rate_per_second` while its data is fresh, 0 once the page
 * has heard nothing new for longer than the rate's window (see the top of this file); null
 * before the first data.
 */
export function currentRate(s: ClicksState, now: number): number | null {
  if (!s.data) return null;
  const r = s.data.rate_per_second;
  const rate = typeof r === 'number' && Number.isFinite(r) ? Math.max(0, r) : 0;
  const end = viewEnd(s, now);
  if (end !== null && s.dataEnd !== null && end - s.dataEnd > RATE_WINDOW_MS) return 0;
  return rate;
}

/** "3.5 clicks/s", "0.2 clicks/s", "12 clicks/s", "—" before data. */
export function rateText(rate: number | null): string {
  if (rate === null) return '—';
  if (rate === 0) return '0 clicks/s';
  const digits = rate < 10 ? 1 : 0;
  const text = rate.toFixed(digits);
  return `${text === '0.0' ? '< 0.1' : text} click${text === '1.0' ? '' : 's'}/s`;
}

/** One chart point: [bin start (ms), clicks in the bin, bin end (ms)]. */
export type BinPoint = [number, number, number];

export interface ClickSeries {
  cheers: BinPoint[];
  hate: BinPoint[];
  /** The time axis: [min, max] in ms. */
  from: number;
  to: number;
  /** Clicks in the plotted bins (both kinds): the chart shows something when > 0. */
  plotted: number;
  /** Whether the newest plotted bin may still change. */
  liveTail: boolean;
}

/**
 * The chart's two series over the last SPAN_MS up to `end` (viewEnd): one point per bin, with
 * zeros for bins the server did not send (no clicks) so the lines fall to the axis instead of
 * joining distant points. Bins are aligned to the server's (its first bin's start).
 */
export function binSeries(s: ClicksState, end: number | null): ClickSeries | null {
  const bins = s.data?.bins ?? [];
  if (end === null) return null;
  const first = bins[0];
  const width = first ? ms(first.bin_end) - ms(first.bin_start) : BIN_MS;
  const anchor = first ? ms(first.bin_start) : 0;
  // The last bin is the one `end` falls in (`end` itself excluded: data up to a bin's end closes
  // that bin, it does not open the next); SPAN_MS / width bins in all.
  const lastStart = anchor + Math.floor((end - 1 - anchor) / width) * width;
  const n = Math.max(1, Math.round(SPAN_MS / width));
  const from = lastStart - (n - 1) * width;
  const byStart = new Map<number, ClickBin>();
  for (const b of bins) byStart.set(ms(b.bin_start), b);
  const cheers: BinPoint[] = [];
  const hate: BinPoint[] = [];
  let plotted = 0;
  let liveTail = false;
  for (let t = from; t <= lastStart; t += width) {
    const b = byStart.get(t);
    cheers.push([t, b?.cheers ?? 0, t + width]);
    hate.push([t, b?.hate ?? 0, t + width]);
    if (b) {
      plotted += b.cheers + b.hate;
      if (t === lastStart) liveTail = !b.final;
    }
  }
  return { cheers, hate, from, to: lastStart + width, plotted, liveTail };
}
