/** Number and time formatting for the dashboard (en-US grouping so figures read "12,345"). */

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixedFmts = new Map<number, Intl.NumberFormat>();
const timeFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const hmFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });

export const DASH = '—';

function isNum(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** 12345 → "12,345"; null → "—". */
export function fmtInt(n: number | null | undefined): string {
  return isNum(n) ? intFmt.format(Math.round(n)) : DASH;
}

/** Axis labels: 950 → "950", 12,000 → "12k", 2,500,000 → "2.5M" (below 10,000 as fmtInt). */
export function fmtCompact(n: number | null | undefined): string {
  if (!isNum(n)) return DASH;
  const a = Math.abs(n);
  if (a >= 1_000_000) return `${fmtFixed(n / 1_000_000, a % 1_000_000 === 0 ? 0 : 1)}M`;
  if (a >= 10_000) return `${fmtFixed(n / 1_000, a % 1_000 === 0 ? 0 : 1)}k`;
  return fmtInt(n);
}

/** Fixed decimals with grouping: fmtFixed(1234.5, 1) → "1,234.5". */
export function fmtFixed(n: number | null | undefined, digits: number): string {
  if (!isNum(n)) return DASH;
  let f = fixedFmts.get(digits);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    fixedFmts.set(digits, f);
  }
  return f.format(n);
}

/** A rating average: two decimals. */
export function fmtRating(n: number | null | undefined): string {
  return fmtFixed(n, 2);
}

/** A rating quantile (ratings come in half stars): one decimal. */
export function fmtQuantile(n: number | null | undefined): string {
  return fmtFixed(n, 1);
}

/** Events per second: one decimal below 100, whole numbers above. */
export function fmtRate(n: number | null | undefined): string {
  if (!isNum(n)) return DASH;
  return n < 100 ? fmtFixed(n, 1) : fmtInt(n);
}

/** 0.1234 → "12.3%". */
export function fmtPct(share: number | null | undefined): string {
  return isNum(share) ? `${fmtFixed(share * 100, 1)}%` : DASH;
}

/** Signed delta, e.g. "+0.04" / "−0.12"; zero gives "±0.00". */
export function fmtDelta(n: number, digits: number): string {
  const s = fmtFixed(Math.abs(n), digits);
  if (Number(s.replace(/,/g, '')) === 0) return `±${s}`;
  return n > 0 ? `+${s}` : `−${s}`;
}

function toDate(t: string | number | Date): Date | null {
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Local wall-clock time "14:03:07". */
export function fmtTime(t: string | number | Date | null | undefined): string {
  if (t === null || t === undefined) return DASH;
  const d = toDate(t);
  return d ? timeFmt.format(d) : DASH;
}

/** A window "14:03–14:04". */
export function fmtWindow(start: string, end: string): string {
  const s = toDate(start);
  const e = toDate(end);
  return s && e ? `${hmFmt.format(s)}–${hmFmt.format(e)}` : DASH;
}

/** Seconds as "850 ms", "4.2 s", "3m 20s", "2h 05m". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (!isNum(seconds)) return DASH;
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${fmtFixed(s, 1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** How long ago, from milliseconds: "just now", "12 s ago", "3 min ago", "2 h ago". */
export function fmtAgo(ms: number | null | undefined): string {
  if (!isNum(ms)) return DASH;
  const s = Math.max(0, ms / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${Math.floor(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Splits "The Silent Harbor (1987)" into its name and year. */
export function splitTitle(title: string): { name: string; year: string | null } {
  const m = /^(.*\S)\s+\((\d{4})\)\s*$/.exec(title);
  return m && m[1] !== undefined && m[2] !== undefined ? { name: m[1], year: m[2] } : { name: title, year: null };
}

/** Shortens text to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}

// ---- calendar times (the analytics view) ----

const utcDayFmt = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const utcDayShortFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const utcHmFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
const localDateTimeFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "Mon 3 Nov 2025" (UTC). */
export function fmtUtcDay(t: string | number | Date | null | undefined): string {
  const d = t === null || t === undefined ? null : toDate(t);
  return d ? utcDayFmt.format(d) : DASH;
}

/** "3 Nov 23:59" (UTC, no zone suffix). */
export function fmtUtcShort(t: string | number | Date | null | undefined): string {
  const d = t === null || t === undefined ? null : toDate(t);
  return d ? `${utcDayShortFmt.format(d)} ${utcHmFmt.format(d)}` : DASH;
}

/** "23:00" (UTC); an end at midnight reads "24:00". */
export function fmtUtcHm(t: string | number | Date, isEnd = false): string {
  const d = toDate(t);
  if (!d) return DASH;
  const s = utcHmFmt.format(d);
  return isEnd && s === '00:00' ? '24:00' : s;
}

/** Local "22 Nov 2026, 08:11". */
export function fmtLocalDateTime(t: string | number | Date | null | undefined): string {
  const d = t === null || t === undefined ? null : toDate(t);
  return d ? localDateTimeFmt.format(d) : DASH;
}
