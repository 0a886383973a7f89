/** The header (pipeline and connection pills, last update), the connection banner and the empty state. */
import type { MetricsRecord } from '../../src/server/metrics-contract.js';
import { byId, byTestId, setText } from './dom.js';
import { fmtRate, fmtWindow } from './format.js';
import { createConnection } from './render-connection.js';
import { PIPELINE_LABEL } from './render-health.js';
import type { DashboardState } from './state.js';

/** "Last 5 min · 14:00–14:05 · live" for the panels that show one window. */
export function windowCaption(r: MetricsRecord | null): string {
  if (!r) return 'waiting for data';
  const kind = r.window_type.startsWith('sliding') ? 'Last 5 min' : '1-min window';
  return `${kind} · ${fmtWindow(r.window_start, r.window_end)} · ${r.final ? 'final' : 'live'}`;
}

export function createStatus(startedAt: number): (s: DashboardState, now: number) => void {
  const connection = createConnection(startedAt, {
    stream: 'metrics stream',
    frozen: 'The figures below are frozen until the stream is back.',
    live: 'the dashboard is live again.',
  });
  const pipePill = byId('pipeline-pill');
  const pipeText = byId('pipeline-status');
  const empty = byTestId('empty-state');
  const connecting = byId('connecting-card');
  const body = document.body;

  return (s, now) => {
    connection(s, now);

    const h = s.health;
    const pState = h ? h.status : 'unknown';
    if (pipePill.dataset.state !== pState) pipePill.dataset.state = pState;
    setText(pipeText, h ? `Pipeline ${PIPELINE_LABEL[h.status]?.toLowerCase() ?? h.status}${h.status === 'healthy' ? ` · ${fmtRate(h.events_per_second)} ev/s` : ''}` : 'Pipeline —');

    // Until the first snapshot we do not know whether there is data: show "connecting", not "no metrics".
    const known = s.hasData || s.snapshotSeen;
    empty.hidden = s.hasData || !known;
    connecting.hidden = known;
    body.classList.toggle('no-data', !s.hasData);
  };
}
