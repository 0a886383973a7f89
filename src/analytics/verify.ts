/**
 * `--verify`: the batch view of the raw lake against the stream's final window results in the agg
 * lake, exactly, for `tumbling_1min` and `sliding_5min`.
 *
 * The stream's lateness is per window (src/engine/window-operator.ts): a rating counts in each of
 * its windows that has not had its final result when it arrives, and is late for the others —
 * each window type's `late_events` on its *next* final result counts the windows of that type the
 * rating missed (0 or 1 for tumbling_1min, 0 to 5 for sliding_5min). The raw lake holds every valid
 * rating and does not mark lateness. So, with raw(W) the raw ratings whose event time is in W:
 *
 * 1. Per window: raw(W) ≥ count(W) (late ratings only ever make raw larger).
 * 2. Tumbling windows with raw(W) = count(W) hold no late rating, so their ratings are exactly the
 *    ones the stream aggregated: avg_rating (to 1e-9: the stream's mean is a running one), p50 and
 *    p95 (exactly: the stream's histogram quantiles are DuckDB's quantile_disc) must match.
 * 3. The balance of a window type, B(c) = Σ raw(W) − Σ (count + late_events) of its finals, over
 *    the windows ending at or before c, is the number of missed (rating, window) pairs before c
 *    that the stream has not attributed yet. A missed pair is attributed to a final emitted after
 *    the rating arrived, which ends after the window it missed, so B(c) ≥ 0 at every window end c;
 *    and once the pipeline has drained (`process --exit-when-idle` closes every window), B = 0 at
 *    the end of the type's last final window: for tumbling_1min, Σ count + Σ late_events == every
 *    raw rating before it, exactly. B < 0 names the windows that made it so; B > 0 at the end
 *    names the span after the last point where B was 0 and the windows in it with more raw
 *    ratings than their count (with no late ratings around, exactly the window concerned).
 * 4. A sliding_5min count lies between the sum of the tumbling_1min counts of its minutes (a
 *    rating on time for its minute is on time for every sliding window holding it: the minute's
 *    window ends first) and its raw ratings; equal to both when none of its ratings was late.
 *
 * Totals are reported for tumbling_1min over [since, end of the last final window in range):
 * Σ count + Σ late == raw ratings, up to the late ratings in flight across the span's two ends (B
 * there), which are 0 for an unbounded start and a drained pipeline.
 *
 * The lake sinks must have caught up (run it after `process` has exited, or expect the newest
 * minutes of a live pipeline — ratings read but not yet attributed — to show as unaccounted).
 */
import type { AnalyticsDb } from './analytics-db.js';
import type { VerifyMismatch, VerifyMismatchKind, VerifySummary } from './types.js';

const MIN = 60_000;
const TUMBLING = 'tumbling_1min';
const SLIDING = 'sliding_5min';
const MAX_LISTED = 100;
/** Mismatches are listed most specific first: a window's own numbers, then the balance. */
const KIND_ORDER: VerifyMismatchKind[] = [
  'count_exceeds_lake',
  'avg_rating',
  'p50_rating',
  'p95_rating',
  'duplicate_final',
  'malformed_window',
  'sliding_count',
  'stream_exceeds_lake',
  'unaccounted_ratings',
];
const AVG_TOLERANCE = 1e-9;

interface Final {
  type: string;
  start: number;
  end: number;
  count: number;
  avg: number | null;
  p50: number | null;
  p95: number | null;
  late: number;
}

interface RawStats {
  n: number;
  avg: number | null;
  p50: number | null;
  p95: number | null;
}

export async function verifyStreamResults(db: AnalyticsDb): Promise<VerifySummary> {
  const { sinceMs, untilMs } = db.range;
  const mismatches: VerifyMismatch[] = [];
  let mismatchCount = 0;
  const notes: string[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  const add = (kind: VerifyMismatchKind, type: string, start: number, end: number, stream: number | null, batch: number | null, message: string) => {
    mismatchCount++;
    mismatches.push({ kind, window_type: type, window_start: iso(start), window_end: iso(end), stream, batch, message });
  };
  const finish = (summary: VerifySummary): VerifySummary => {
    mismatches.sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.window_start.localeCompare(b.window_start));
    mismatches.splice(MAX_LISTED);
    summary.mismatch_count = mismatchCount;
    summary.ok = mismatchCount === 0;
    return summary;
  };
  const inRange = (start: number, end: number) => (sinceMs === null || start >= sinceMs) && (untilMs === null || end <= untilMs);

  const finals = (
    await db.query<{ t: string; s: string; e: string; c: number; a: number | null; p50: number | null; p95: number | null; l: number | null }>(`
      SELECT window_type AS t, window_start AS s, window_end AS e, count AS c, avg_rating AS a, p50_rating AS p50, p95_rating AS p95, late_events AS l
      FROM ratings_agg WHERE window_type IN ('${TUMBLING}', '${SLIDING}')`)
  ).map((r): Final => ({ type: r.t, start: Date.parse(r.s), end: Date.parse(r.e), count: r.c, avg: r.a, p50: r.p50, p95: r.p95, late: r.l ?? 0 }));

  // Raw ratings per minute over the whole history (the balance needs what precedes the range).
  const rawCount = new Map<number, number>();
  for (const r of await db.query<{ m: number; n: number }>(`SELECT timestamp // ${MIN} AS m, count(*) AS n FROM ratings_all GROUP BY m`)) {
    rawCount.set(r.m, r.n);
  }

  // Final tumbling results, one per minute.
  const tumbling = new Map<number, Final>();
  const sliding = new Map<number, Final>();
  for (const f of finals) {
    const size = f.type === TUMBLING ? MIN : 5 * MIN;
    if (!(Number.isFinite(f.start) && f.end - f.start === size && f.start % MIN === 0)) {
      if (inRange(f.start, f.end)) add('malformed_window', f.type, f.start, f.end, f.count, null, `not an aligned ${f.type} window`);
      continue;
    }
    const byStart = f.type === TUMBLING ? tumbling : sliding;
    if (byStart.has(f.start)) {
      if (inRange(f.start, f.end)) add('duplicate_final', f.type, f.start, f.end, f.count, byStart.get(f.start)!.count, 'two final results for one window (was the pipeline reset and its input reprocessed?)');
      continue;
    }
    byStart.set(f.start, f);
  }

  const summary: VerifySummary = {
    ok: true,
    windows: 0,
    windows_equal: 0,
    windows_with_late: 0,
    windows_stats_compared: 0,
    sliding_windows: 0,
    totals: {
      span_start: sinceMs === null ? null : iso(Math.ceil(sinceMs / MIN) * MIN),
      span_end: null,
      stream_count: 0,
      late_events: 0,
      raw_ratings: 0,
      late_in_flight_at_start: 0,
      late_in_flight_at_end: 0,
      equal: true,
    },
    mismatch_count: 0,
    mismatches,
    notes,
  };
  if (tumbling.size === 0) {
    notes.push(`nothing to verify: no final ${TUMBLING} results in the agg lake${db.hasAgg ? ' (in this range)' : ' (run `streamrec process` first)'}`);
    return finish(summary);
  }

  // 1, 2. Per window in range.
  const rawStats = new Map<number, RawStats>();
  for (const r of await db.query<{ m: number; n: number; a: number | null; p50: number | null; p95: number | null }>(`
    SELECT timestamp // ${MIN} AS m, count(*) AS n, avg(rating) AS a, quantile_disc(rating, 0.5) AS p50, quantile_disc(rating, 0.95) AS p95
    FROM ratings GROUP BY m`)) {
    rawStats.set(r.m, { n: r.n, avg: r.a, p50: r.p50, p95: r.p95 });
  }
  let spanEnd = -Infinity;
  for (const f of [...tumbling.values()].sort((a, b) => a.start - b.start)) {
    if (!inRange(f.start, f.end)) continue;
    summary.windows++;
    spanEnd = Math.max(spanEnd, f.end);
    summary.totals.stream_count += f.count;
    summary.totals.late_events += f.late;
    const raw = rawCount.get(f.start / MIN) ?? 0;
    if (raw < f.count) {
      add('count_exceeds_lake', TUMBLING, f.start, f.end, f.count, raw, `the stream counted ${f.count} ratings, the raw lake holds ${raw}`);
    } else if (raw > f.count) {
      summary.windows_with_late++;
    } else {
      summary.windows_equal++;
      const s = rawStats.get(f.start / MIN);
      if (s === undefined || s.n !== raw) continue;
      summary.windows_stats_compared++;
      if (f.avg === null || s.avg === null || Math.abs(f.avg - s.avg) > AVG_TOLERANCE * Math.max(1, Math.abs(s.avg))) {
        add('avg_rating', TUMBLING, f.start, f.end, f.avg, s.avg, `avg_rating ${f.avg} differs from the raw ratings' ${s.avg}`);
      }
      if (f.p50 !== s.p50) add('p50_rating', TUMBLING, f.start, f.end, f.p50, s.p50, `p50_rating ${f.p50} differs from quantile_disc(rating, 0.5) = ${s.p50}`);
      if (f.p95 !== s.p95) add('p95_rating', TUMBLING, f.start, f.end, f.p95, s.p95, `p95_rating ${f.p95} differs from quantile_disc(rating, 0.95) = ${s.p95}`);
    }
  }

  // 3. The balance of late ratings of each window type, walked over the whole history up to its last final's end.
  const walk = { rawCount, range: db.range, inRange, add, notes, iso };
  const tumblingBalance = walkBalance(TUMBLING, 1, tumbling, walk);
  walkBalance(SLIDING, 5, sliding, walk);
  const lastEnd = tumblingBalance.lastEnd;
  const balanceAt = tumblingBalance.at;

  // 4. Sliding windows between the tumbling counts of their minutes and their raw ratings.
  for (const f of [...sliding.values()].sort((a, b) => a.start - b.start)) {
    if (!inRange(f.start, f.end)) continue;
    summary.sliding_windows++;
    let onTime = 0;
    let raw = 0;
    for (let t = f.start; t < f.end; t += MIN) {
      onTime += tumbling.get(t)?.count ?? 0;
      raw += rawCount.get(t / MIN) ?? 0;
    }
    if (f.count > raw) add('count_exceeds_lake', SLIDING, f.start, f.end, f.count, raw, `the stream counted ${f.count} ratings, the raw lake holds ${raw}`);
    else if (f.count < onTime) {
      add('sliding_count', SLIDING, f.start, f.end, f.count, onTime, `count ${f.count} is below the sum of its minutes' tumbling_1min counts, ${onTime}`);
    }
  }

  // Totals over [since, last window end in range).
  if (summary.windows > 0) {
    const start = sinceMs === null ? -Infinity : Math.ceil(sinceMs / MIN) * MIN;
    let raw = 0;
    for (const [m, n] of rawCount) if (m * MIN >= start && (m + 1) * MIN <= spanEnd) raw += n;
    const t = summary.totals;
    t.span_end = iso(spanEnd);
    t.raw_ratings = raw;
    t.late_in_flight_at_start = Number.isFinite(start) ? balanceAt(start) : 0;
    t.late_in_flight_at_end = balanceAt(spanEnd);
    t.equal = t.stream_count + t.late_events === raw;
    if (!t.equal) {
      notes.push(
        `totals differ by the late ratings in flight across the span's ends: raw ${raw} = counted ${t.stream_count} + late ${t.late_events} + in flight at the end ${t.late_in_flight_at_end} − in flight at the start ${t.late_in_flight_at_start}`,
      );
    }
  } else {
    notes.push(`no final ${TUMBLING} window lies wholly in the range`);
  }
  const after = [...rawCount].filter(([m]) => m * MIN >= lastEnd).reduce((s, [, n]) => s + n, 0);
  if (after > 0) notes.push(`${after} raw ratings at or after ${iso(lastEnd)} (the end of the last final window) are in windows still open: not verified`);
  return finish(summary);
}

interface BalanceWalk {
  /** Raw ratings per minute (epoch minute → count) over the whole history. */
  rawCount: Map<number, number>;
  range: { sinceMs: number | null; untilMs: number | null };
  inRange: (start: number, end: number) => boolean;
  add: (kind: VerifyMismatchKind, type: string, start: number, end: number, stream: number | null, batch: number | null, message: string) => void;
  notes: string[];
  iso: (ms: number) => string;
}

interface Balance {
  /** The end of the type's last final window (-Infinity without one). */
  lastEnd: number;
  /** B(c): the balance after every window ending at or before c. */
  at(c: number): number;
}

/**
 * Rule 3 for one window type of `minutes` 1-minute slides: walks the windows in end order over the
 * whole history (every window holding a raw rating, and every final), adding raw(W) − count −
 * late_events, and reports where the balance goes negative and what is left at the last final.
 */
function walkBalance(type: string, minutes: number, finals: Map<number, Final>, walk: BalanceWalk): Balance {
  const { rawCount, inRange, add, notes, iso } = walk;
  const { sinceMs, untilMs } = walk.range;
  let lastEnd = -Infinity;
  for (const f of finals.values()) lastEnd = Math.max(lastEnd, f.end);
  const rawOf = (startMinute: number) => {
    let n = 0;
    for (let m = startMinute; m < startMinute + minutes; m++) n += rawCount.get(m) ?? 0;
    return n;
  };
  // Window starts, in minutes: those of the finals and of every window holding a raw rating.
  const startSet = new Set<number>([...finals.keys()].map((s) => s / MIN));
  for (const m of rawCount.keys()) for (let s = m - minutes + 1; s <= m; s++) startSet.add(s);
  const starts = [...startSet].filter((s) => (s + minutes) * MIN <= lastEnd).sort((a, b) => a - b);
  const boundaries: number[] = [];
  const balances: number[] = [];
  let balance = 0;
  let lastZero = -Infinity;
  for (const s of starts) {
    const raw = rawOf(s);
    const f = finals.get(s * MIN);
    const step = raw - (f?.count ?? 0) - (f?.late ?? 0);
    balance += step;
    const start = s * MIN;
    const end = (s + minutes) * MIN;
    boundaries.push(end);
    balances.push(balance);
    if (balance === 0) lastZero = end;
    if (balance < 0 && step < 0 && inRange(start, end)) {
      add(
        'stream_exceeds_lake',
        type,
        start,
        end,
        (f?.count ?? 0) + (f?.late ?? 0),
        raw,
        `up to this window's end the stream accounted for ${-balance} more ratings in ${type} windows (on time + late) than the raw lake holds`,
      );
    }
  }
  if (balance > 0 && starts.length > 0) {
    const spanStart = Number.isFinite(lastZero) ? lastZero : starts[0]! * MIN;
    const overlaps = (sinceMs === null || lastEnd > sinceMs) && (untilMs === null || spanStart < untilMs);
    const suspects = starts
      .filter((s) => (s + minutes) * MIN > spanStart && rawOf(s) > (finals.get(s * MIN)?.count ?? 0))
      .map((s) => {
        const f = finals.get(s * MIN);
        return `${iso(s * MIN)} (lake ${rawOf(s)}, ${f ? `stream ${f.count}` : 'no final result'})`;
      });
    const listed = suspects.slice(0, 5).join(', ') + (suspects.length > 5 ? `, … ${suspects.length - 5} more` : '');
    const what = minutes === 1 ? 'raw ratings' : `(rating, ${type} window) pairs`;
    const message =
      `${balance} ${what} before ${iso(lastEnd)} are in no final result, neither on time nor late; they are after ${iso(spanStart)} ` +
      `(the last point where every rating was accounted for), in one of the windows with more raw ratings than the stream counted: ${listed || 'none'}`;
    if (overlaps) add('unaccounted_ratings', type, spanStart, lastEnd, null, balance, message);
    else notes.push(`outside the range: ${message}`);
  }
  const at = (c: number): number => {
    let lo = 0;
    let hi = boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (boundaries[mid]! <= c) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : balances[lo - 1]!;
  };
  return { lastEnd, at };
}
