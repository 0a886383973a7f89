/**
 * The streamrec dashboard: one EventSource on /metrics/stream?format=events (named `snapshot`,
 * `metrics`, `health` events with whole records; plain /metrics/stream is the seed's unnamed
 * messages for scripts) feeds the state (state.ts); each
 * change schedules one render of every panel. No polling: a 1 s ticker only refreshes the
 * "… ago" texts and the banner timing.
 */
import './shared.js';
import { createGenres } from './render-genres.js';
import { createHealth } from './render-health.js';
import { createKpis } from './render-kpis.js';
import { createStatus } from './render-status.js';
import { createTimeline } from './render-timeline.js';
import { createTop } from './render-top.js';
import { connectMetricsStream } from './sse.js';
import { applyHealth, applyMetrics, applySnapshot, initialState, setConnection, type DashboardState } from './state.js';
import { ratingGradientCss } from './colors.js';
import { renderScheduler, safe, type Renderer } from './render-loop.js';

const STREAM_URL = '/metrics/stream?format=events';

function start(): void {
  const startedAt = Date.now();
  const state = initialState();
  for (const el of document.querySelectorAll<HTMLElement>('.rating-scale-bar')) el.style.background = ratingGradientCss();

  const clockPanels: Renderer<DashboardState>[] = [safe('status panel', createStatus(startedAt)), safe('health panel', createHealth())];
  const dataPanels: Renderer<DashboardState>[] = [
    safe('KPI panel', createKpis()),
    safe('timeline panel', createTimeline()),
    safe('top movies panel', createTop()),
    safe('genres panel', createGenres()),
  ];

  let rendered = -1;
  const render = (): void => {
    const now = Date.now();
    for (const r of clockPanels) r(state, now);
    if (state.version === rendered) return;
    rendered = state.version;
    for (const r of dataPanels) r(state, now);
  };
  const schedule = renderScheduler(render, 40);

  connectMetricsStream(STREAM_URL, {
    snapshot: (snap) => { applySnapshot(state, snap); schedule(); },
    metrics: (rec) => { applyMetrics(state, rec); schedule(); },
    health: (h) => { applyHealth(state, h); schedule(); },
    status: (c) => { setConnection(state, c); schedule(); },
  });

  window.setInterval(() => {
    const now = Date.now();
    for (const r of clockPanels) r(state, now);
  }, 1_000);
  render();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
