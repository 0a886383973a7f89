/** The header (pipeline and connection pills, last update), the connection banner and the empty state. */
import type { MetricsRecord } from '../../src/server/metrics-contract.js';
import { byId, byTestId, setText } from './dom.js';
import { fmtAgo, fmtRate, fmtTime, fmtWindow } from './format.js';
import { PIPELINE_LABEL } from './render-health.js';
import type { ConnectionStatus, DashboardState } from './state.js';

/** How long the "back online" banner stays. */
const RECOVERED_MS = 4_000;
/** Show a banner when the first connection takes longer than this. */
const SLOW_CONNECT_MS = 4_000;

/** "Last 5 min · 14:00–14:05 · live" for the panels that show one window. */
export function windowCaption(r: MetricsRecord | null): string {
  if (!r) return 'waiting for data';
  const kind = r.window_type.startsWith('sliding') ? 'Last 5 min' : '1-min window';
  return `${kind} · ${fmtWindow(r.window_start, r.window_end)} · ${r.final ? 'final' : 'live'}`;
}

export function createStatus(startedAt: number): (s: DashboardState, now: number) => void {
  const conn = byTestId('connection-status');
  const connPill = byId('conn-pill');
  const pipePill = byId('pipeline-pill');
  const pipeText = byId('pipeline-status');
  const updated = byId('updated-ago');
  const banner = byId('banner');
  const bannerText = byId('banner-text');
  const empty = byTestId('empty-state');
  const connecting = byId('connecting-card');
  const body = document.body;

  let prev: ConnectionStatus = 'connecting';
  let recoveredAt: number | null = null;
  let lostAt: number | null = null;

  return (s, now) => {
    const c = s.connection;
    if (c !== prev) {
      if (c === 'live' && prev === 'reconnecting') recoveredAt = now;
      if (c === 'reconnecting') {
        lostAt ??= now;
        recoveredAt = null;
      }
      if (c === 'live') lostAt = null;
      prev = c;
    }
    setText(conn, c);
    if (connPill.dataset.state !== c) connPill.dataset.state = c;

    // Banner: lost → "Reconnecting…"; back → "Reconnected" for a few seconds; slow first connect → "Connecting…".
    let mode: 'warn' | 'ok' | null = null;
    let text = '';
    if (c === 'reconnecting') {
      mode = 'warn';
      text = `Connection lost${lostAt !== null && now - lostAt > 2_000 ? ` ${fmtAgo(now - lostAt)}` : ''} — reconnecting… The figures below are frozen until the stream is back.`;
    } else if (c === 'connecting' && now - startedAt > SLOW_CONNECT_MS) {
      mode = 'warn';
      text = 'Connecting to the metrics stream… Is the server running?';
    } else if (c === 'live' && recoveredAt !== null && now - recoveredAt < RECOVERED_MS) {
      mode = 'ok';
      text = `Reconnected at ${fmtTime(recoveredAt)} — the dashboard is live again.`;
    }
    banner.hidden = mode === null;
    if (mode) {
      if (banner.dataset.mode !== mode) banner.dataset.mode = mode;
      setText(bannerText, text);
    }

    const h = s.health;
    const pState = h ? h.status : 'unknown';
    if (pipePill.dataset.state !== pState) pipePill.dataset.state = pState;
    setText(pipeText, h ? `Pipeline ${PIPELINE_LABEL[h.status]?.toLowerCase() ?? h.status}${h.status === 'healthy' ? ` · ${fmtRate(h.events_per_second)} ev/s` : ''}` : 'Pipeline —');

    const lastAt = s.lastMessageAt;
    setText(updated, lastAt === null ? '—' : fmtAgo(now - lastAt));

    // Until the first snapshot we do not know whether there is data: show "connecting", not "no metrics".
    const known = s.hasData || s.snapshotSeen;
    empty.hidden = s.hasData || !known;
    connecting.hidden = known;
    body.classList.toggle('no-data', !s.hasData);
    body.classList.toggle('stale', c !== 'live');
  };
}
