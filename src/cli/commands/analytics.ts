import { Command } from 'commander';
import { resolveDataDir } from '../../util/config.js';
import { runAnalytics } from '../../analytics/run-analytics.js';
import type { AnalyticsStep, AnalyticsSummary, VerifySummary } from '../../analytics/types.js';
import { formatDuration } from '../../util/duration.js';
import { progress, type Progress } from '../../util/progress.js';
import { formatTable } from '../../util/table.js';
import { duration, isoTime } from '../options.js';
import { addDataDirOption, formatCount } from '../context.js';
import { UserError } from '../../util/errors.js';

interface AnalyticsFlags {
  dataDir?: string;
  since?: number;
  until?: number;
  verify?: boolean;
  json?: boolean;
  trendingWindow?: number;
}

const STEP_LABEL: Record<AnalyticsStep, string> = {
  input: 'reading the range',
  distributions: 'rating distributions',
  topn: 'top movies per hour and day',
  trending: 'trending movies',
  verify: 'verifying the stream results',
  publish: 'publishing',
};

/** `write` receives the summary (stdout unless a test captures it); progress goes to stderr. */
export function analyticsCommand(write: (text: string) => void = (text) => void process.stdout.write(text)): Command {
  const command = new Command('analytics')
    .description('batch analytics over the Parquet lake with DuckDB: rating distributions, top movies per hour and day, trending; --verify checks the stream results')
    .option('--since <iso>', 'only ratings with event time at or after this time', isoTime)
    .option('--until <iso>', 'only ratings with event time before this time (also the end of the trending window)', isoTime)
    .option('--trending-window <d>', 'length of the trending windows (current vs. the one before)', duration, 24 * 3_600_000)
    .option('--verify', 'check the final tumbling_1min results of the stream against the raw lake; exit 1 on a mismatch')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Outputs (replaced by every run) under <data-dir>/lake/analytics/:
  distributions/genre=…/            one row per genre and (all): ratings, users, movies, mean,
                                    stddev (population), p25/p50/p75/p95 (quantile_disc), histogram
  topn/period=hour|day/date=…/      top 50 movies per UTC hour and day by score (count × avg)
  trending/data.parquet             movies rising in the latest window vs. the one before (≥ 5 ratings)
  manifest.json                     input range, rows and time per part
Query them with DuckDB, e.g. streamrec sql "SELECT * FROM read_parquet('data/lake/analytics/trending/*.parquet')".

Examples:
  streamrec analytics
  streamrec analytics --since 2025-11-01T00:00:00Z --until 2025-11-08T00:00:00Z
  streamrec analytics --trending-window 6h --json
  streamrec analytics --verify           after \`streamrec process --exit-when-idle\``,
    )
    .action(async (flags: AnalyticsFlags) => {
      const dataDir = resolveDataDir(flags.dataDir);
      let line: Progress | null = null;
      let summary: AnalyticsSummary;
      try {
        summary = await runAnalytics({
          dataDir,
          sinceMs: flags.since ?? null,
          untilMs: flags.until ?? null,
          trendingWindowMs: flags.trendingWindow,
          verify: flags.verify === true,
          onProgress: (e) => {
            if (e.phase === 'start') {
              line = progress();
              line.update(`analytics: ${STEP_LABEL[e.step]} …`);
            } else {
              line?.done(`analytics: ${STEP_LABEL[e.step]}: ${e.detail} (${formatMs(e.durationMs)})`);
              line = null;
            }
          },
        });
      } catch (err) {
        // run-analytics names a bad option with a RangeError ("analytics: --until must be after --since").
        if (err instanceof RangeError) throw new UserError(err.message.replace(/^analytics: /, ''));
        throw err;
      }
      for (const w of summary.warnings) process.stderr.write(`streamrec: warning: ${w}\n`);
      write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
      const v = summary.verify;
      if (v && !v.ok) {
        const first = v.mismatches[0];
        throw new UserError(
          `verify: ${v.mismatch_count} ${v.mismatch_count === 1 ? 'mismatch' : 'mismatches'} between the stream results and the raw lake` +
            (first ? ` (first: ${first.kind} in ${first.window_type} window ${first.window_start})` : ''),
        );
      }
    });
  return addDataDirOption(command);
}

/** The run as text: a table of the steps, the outputs, and the verification when asked for. */
export function formatSummary(s: AnalyticsSummary): string {
  const m = s.manifest;
  const total = m.duration_ms;
  const rows = s.steps.map((st) => [st.step, st.step === 'input' || st.step === 'publish' ? null : st.rows, formatMs(st.duration_ms), st.detail] as (string | number | null)[]);
  rows.push(['total', null, formatMs(total), `${formatCount(m.input.ratings / Math.max(total / 1000, 1e-3))} ratings/s`]);
  const out: string[] = [];
  out.push(
    `range: ${m.input.since ?? 'start'} → ${m.input.until ?? 'end'}; ${formatCount(m.input.ratings)} ratings` +
      (m.input.first_event_time ? ` (event times ${m.input.first_event_time} … ${m.input.last_event_time})` : ''),
  );
  out.push(formatTable(['part', 'rows', 'time', 'detail'], rows));
  out.push(`outputs: ${s.outputDir}`);
  if (s.verify) out.push(formatVerify(s.verify));
  return `${out.join('\n')}\n`;
}

function formatVerify(v: VerifySummary): string {
  const t = v.totals;
  const lines = [
    `verify: ${v.ok ? 'OK' : 'MISMATCH'} — ${formatCount(v.windows)} tumbling_1min windows (${formatCount(v.windows_equal)} equal to the raw lake, ` +
      `${formatCount(v.windows_with_late)} with late ratings; avg/p50/p95 compared in ${formatCount(v.windows_stats_compared)}), ${formatCount(v.sliding_windows)} sliding_5min windows`,
    `  totals over [${t.span_start ?? 'start'}, ${t.span_end ?? '-'}): stream count ${formatCount(t.stream_count)} + late ${formatCount(t.late_events)} ` +
      `${t.equal ? '=' : '≠'} raw ratings ${formatCount(t.raw_ratings)}` +
      (t.equal ? '' : ` (late in flight: ${formatCount(t.late_in_flight_at_start)} at the start, ${formatCount(t.late_in_flight_at_end)} at the end)`),
  ];
  if (v.mismatches.length > 0) {
    lines.push(
      formatTable(
        ['mismatch', 'window', 'window_start', 'stream', 'lake', 'detail'],
        v.mismatches.slice(0, 20).map((x) => [x.kind, x.window_type, x.window_start, x.stream, x.batch, x.message.length > 200 ? `${x.message.slice(0, 199)}…` : x.message]),
      ),
    );
    if (v.mismatch_count > 20) lines.push(`  … ${v.mismatch_count - 20} more (--json lists ${v.mismatches.length})`);
  }
  for (const n of v.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

function formatMs(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : formatDuration(ms);
}
