import type { RunProgress } from './runner.js';
import { LATE_SEND_MS, type SimulationSummary } from './summary.js';

const RULE = '='.repeat(80);

/** The live line, as the old simulator's: `[100.0%] Requests: 602 | Success: 98.5% | Avg Latency: 123ms | P95: 245ms`. */
export function formatProgressLine(p: RunProgress): string {
  const head =
    `[${(100 * p.fraction).toFixed(1).padStart(5)}%] Requests: ${p.total} | Success: ${p.successRate.toFixed(1)}% | ` +
    `Avg Latency: ${Math.round(p.avgLatencyMs)}ms | P95: ${Math.round(p.p95LatencyMs)}ms`;
  const pending = p.inFlight + p.queued;
  if (pending === 0) return head;
  return `${head} | In flight: ${p.inFlight}${p.queued > 0 ? ` (+${p.queued} queued)` : ''}${p.phase === 'draining' ? ' | waiting for the last answers' : ''}`;
}

/** The printed summary: the old simulator's sections (requests, latency), then sources and errors. */
export function formatSummary(s: SimulationSummary): string {
  const ms = (seconds: number | null) => (seconds === null ? '-' : `${Math.round(seconds * 1000)} ms`);
  const r = s.requests;
  const lines = [
    RULE,
    'METRICS SUMMARY' + (s.execution.interrupted ? ' (interrupted)' : ''),
    RULE,
    '',
    'Requests:',
    `  Total:       ${r.total}`,
    `  Successful:  ${r.successful} (${r.success_rate.toFixed(1)}%)`,
    `  Failed:      ${r.failed}`,
    `  Actual rate: ${r.actual_rate.toFixed(1)} req/s (${s.configuration.rate} req/s asked, ${s.execution.actual_duration.toFixed(1)} s)`,
    `  Users:       ${r.known_users} known, ${r.unknown_users} unknown`,
    ...(r.sent_late > 0
      ? [`  Sent late:   ${r.sent_late} (over ${LATE_SEND_MS} ms behind schedule: --concurrency was full or this machine was busy; their wait counts as latency)`]
      : []),
    '',
    'Latency (successful requests, from the scheduled send time):',
    `  Min:     ${ms(s.latency.min)}`,
    `  Mean:    ${ms(s.latency.mean)}`,
    `  Median:  ${ms(s.latency.median)}`,
    `  P95:     ${ms(s.latency.p95)}`,
    `  P99:     ${ms(s.latency.p99)}`,
    `  Max:     ${ms(s.latency.max)}`,
    `  Stdev:   ${ms(s.latency.stdev)}`,
    '',
    'Sources (successful requests: all / known users / unknown users):',
    ...Object.entries(s.sources).map(
      ([source, count]) => `  ${`${source}:`.padEnd(18)} ${count} / ${s.sources_by_user.known[source] ?? 0} / ${s.sources_by_user.unknown[source] ?? 0}`,
    ),
  ];
  const versions = Object.entries(s.model_versions);
  if (versions.length > 1) lines.push('', 'Model versions:', ...versions.map(([v, count]) => `  ${v}: ${count}`));
  const errors = Object.entries(s.errors);
  lines.push('', 'Errors:', ...(errors.length > 0 ? errors.map(([type, count]) => `  ${`${type}:`.padEnd(18)} ${count}`) : ['  none']));
  lines.push('', RULE);
  return lines.join('\n');
}
