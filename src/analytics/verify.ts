/**
 * `--verify`: the batch view of the raw lake against the stream's final window results in the agg
 * lake, exactly, for `tumbling_1min` (and `sliding_5min` against it).
 *
 * The stream counts a rating in its window only when it is on time; a late one (behind the
 * watermark) is in no window and is counted instead in `late_events` of the *next* final result
 * of the window type (src/engine/window-operator.ts). The raw lake holds every valid rating and
 * does not mark lateness. So, with raw(W) the raw ratings whose event time is in W:
 *
 * 1. Per window: raw(W) ≥ count(W) (late ratings only ever make raw larger).
 * 2. Windows with raw(W) = count(W) hold no late rating, so their ratings are exactly the ones the
 *    stream aggregated: avg_rating (to 1e-9: the stream's mean is a running one), p50 and p95
 *    (exactly: the stream's histogram quantiles are DuckDB's quantile_disc) must match.
 * 3. The balance B(c) = raw ratings before c − Σ (count + late_events) of the finals ending at
 *    or before c, walked over the whole history, is the number of late ratings before c that the
 *    stream has not attributed yet. A late rating is attributed to a window starting at or after
 *    its own minute, so B(c) ≥ 0 at every window end c; and once the pipeline has drained
 *    (`process --exit-when-idle` closes every window), B = 0 at the end of the last final
 *    window: Σ count + Σ late_events == every raw rating before it, exactly.
 *    B < 0 names the windows that made it so; B > 0 at the end names the span after the last
 *    point where B was 0 and the windows in it with more raw ratings than their count (with no
 *    late ratings around, exactly the window concerned).
 * 4. A sliding_5min count equals the sum of the tumbling_1min counts of its minutes (both are
 *    merges of the same 1-minute panes).
 *
 * Totals are reported over [since, end of the last final window in range): Σ count + Σ late ==
 * raw ratings, up to the late ratings in flight across the span's two ends (B there), which are
 * 0 for an unbounded start and a drained pipeline.
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

  // 3. The balance of late ratings, walked over the whole history up to the last final's end.
  let lastEnd = -Infinity;
  for (const f of tumbling.values()) lastEnd = Math.max(lastEnd, f.end);
  const minutes = [...new Set([...rawCount.keys()].filter((m) => m * MIN < lastEnd).concat([...tumbling.keys()].map((s) => s / MIN)))].sort((a, b) => a - b);
  const boundaries: number[] = [];
  const balances: number[] = [];
  let balance = 0;
  let lastZero = -Infinity;
  for (const m of minutes) {
    const raw = rawCount.get(m) ?? 0;
    const f = tumbling.get(m * MIN);
    const step = raw - (f?.count ?? 0) - (f?.late ?? 0);
    balance += step;
    const end = (m + 1) * MIN;
    boundaries.push(end);
    balances.push(balance);
    if (balance === 0) lastZero = end;
    if (balance < 0 && step < 0 && inRange(m * MIN, end)) {
      add(
        'stream_exceeds_lake',
        TUMBLING,
        m * MIN,
        end,
        (f?.count ?? 0) + (f?.late ?? 0),
        raw,
        `up to this window's end the stream counted ${-balance} more ratings (on time + late) than the raw lake holds`,
      );
    }
  }
  /** B(c): the balance after every minute ending at or before c. */
  const balanceAt = (c: number): number => {
    let lo = 0;
    let hi = boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (boundaries[mid]! <= c) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : balances[lo - 1]!;
  };
  if (balance > 0) {
    const spanStart = Number.isFinite(lastZero) ? lastZero : minutes[0]! * MIN;
    const overlaps = (sinceMs === null || lastEnd > sinceMs) && (untilMs === null || spanStart < untilMs);
    const suspects = minutes
      .filter((m) => m * MIN >= spanStart && (rawCount.get(m) ?? 0) > (tumbling.get(m * MIN)?.count ?? 0))
      .map((m) => {
        const f = tumbling.get(m * MIN);
        return `${iso(m * MIN)} (lake ${rawCount.get(m) ?? 0}, ${f ? `stream ${f.count}` : 'no final result'})`;
      });
    const listed = suspects.slice(0, 5).join(', ') + (suspects.length > 5 ? `, … ${suspects.length - 5} more` : '');
    const message =
      `${balance} raw ratings before ${iso(lastEnd)} are in no final result, neither on time nor late; they are after ${iso(spanStart)} ` +
      `(the last point where every rating was accounted for), in one of the minutes with more raw ratings than the stream counted: ${listed || 'none'}`;
    if (overlaps) add('unaccounted_ratings', TUMBLING, spanStart, lastEnd, null, balance, message);
    else notes.push(`outside the range: ${message}`);
  }

  // 4. Sliding windows against the tumbling ones.
  for (const f of [...sliding.values()].sort((a, b) => a.start - b.start)) {
    if (!inRange(f.start, f.end)) continue;
    summary.sliding_windows++;
    let sum = 0;
    for (let t = f.start; t < f.end; t += MIN) sum += tumbling.get(t)?.count ?? 0;
    if (sum !== f.count) add('sliding_count', SLIDING, f.start, f.end, f.count, sum, `count ${f.count} differs from the sum of its minutes' tumbling_1min counts, ${sum}`);
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
