/** The pipeline-health panel: lag, watermark delay, late events, dead letters, SSE, last event. */
import type { HealthResponse } from '../../src/server/metrics-contract.js';
import { byTestId, setText } from './dom.js';
import { DASH, fmtAgo, fmtDuration, fmtInt, fmtTime } from './format.js';
import type { DashboardState } from './state.js';

type Level = 'ok' | 'warn' | 'bad' | 'muted';

export const PIPELINE_LABEL: Record<HealthResponse['status'], string> = { healthy: 'Running', idle: 'Idle', no_data: 'No data' };

export function createHealth(): (s: DashboardState, now: number) => void {
  const panel = byTestId('health');
  const field = (name: string): { value: HTMLElement; sub: HTMLElement | null } => {
    const value = byTestId(`health-${name}`, panel);
    return { value, sub: value.parentElement?.querySelector<HTMLElement>('.hsub') ?? null };
  };
  const f = {
    status: field('status'),
    lag: field('consumer-lag'),
    delay: field('watermark-delay'),
    late: field('late-events'),
    dlq: field('dead-letters'),
    sse: field('sse'),
    last: field('last-event'),
  };

  const put = (x: { value: HTMLElement; sub: HTMLElement | null }, text: string, sub: string, level: Level): void => {
    setText(x.value, text);
    if (x.sub) setText(x.sub, sub);
    const row = x.value.closest<HTMLElement>('.hrow');
    if (row && row.dataset.level !== level) row.dataset.level = level;
  };

  return (s, now) => {
    const h = s.health;
    if (!h) {
      for (const x of Object.values(f)) put(x, DASH, '', 'muted');
      put(f.sse, s.connection, 'waiting for the first health report', s.connection === 'live' ? 'ok' : 'warn');
      return;
    }
    put(f.status, PIPELINE_LABEL[h.status] ?? h.status, `up ${fmtDuration(h.uptime_seconds)}`, h.status === 'healthy' ? 'ok' : h.status === 'idle' ? 'warn' : 'muted');
    put(f.lag, fmtInt(h.consumer_lag), 'ratings not yet processed', h.consumer_lag > 10_000 ? 'bad' : h.consumer_lag > 1_000 ? 'warn' : 'ok');
    const d = h.watermark_delay_seconds;
    // The watermark trails by the allowed lateness on purpose: judge the delay beyond it.
    const beyond = d === null ? null : d - (h.allowed_lateness_seconds ?? 0);
    const foot = !h.watermark ? 'no watermark yet'
      : h.allowed_lateness_seconds === null ? `watermark ${fmtTime(h.watermark)}` : `allowed lateness ${fmtDuration(h.allowed_lateness_seconds)}`;
    put(f.delay, fmtDuration(d), foot,
      beyond === null ? 'muted' : beyond > 300 ? 'bad' : beyond > 60 ? 'warn' : 'ok');
    put(f.late, fmtInt(h.late_events_total), 'for windows already final', h.late_events_total > 0 ? 'warn' : 'ok');
    put(f.dlq, fmtInt(h.dead_letters_total), 'malformed records', h.dead_letters_total > 0 ? 'bad' : 'ok');
    put(f.sse, s.connection, `${fmtInt(h.sse_clients)} client${h.sse_clients === 1 ? '' : 's'} · ${fmtInt(h.metrics_received)} results`,
      s.connection === 'live' ? 'ok' : 'warn');
    const lastMs = h.last_event_time ? Date.parse(h.last_event_time) : NaN;
    put(f.last, h.last_event_time ? fmtTime(h.last_event_time) : DASH, Number.isNaN(lastMs) ? 'no events yet' : `event time · ${fmtAgo(now - lastMs)}`,
      Number.isNaN(lastMs) ? 'muted' : 'ok');
  };
}
