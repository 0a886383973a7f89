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

const STREAM_URL = '/metrics/stream?format=events';

type Renderer = (s: DashboardState, now: number) => void;

function safe(name: string, render: Renderer): Renderer {
  return (s, now) => {
    try {
      render(s, now);
    } catch (err) {
      console.error(`streamrec: the ${name} panel failed to render`, err);
    }
  };
}

function start(): void {
  const startedAt = Date.now();
  const state = initialState();
  for (const el of document.querySelectorAll<HTMLElement>('.rating-scale-bar')) el.style.background = ratingGradientCss();

  const clockPanels: Renderer[] = [safe('status', createStatus(startedAt)), safe('health', createHealth())];
  const dataPanels: Renderer[] = [safe('KPI', createKpis()), safe('timeline', createTimeline()), safe('top movies', createTop()), safe('genres', createGenres())];

  let rendered = -1;
  let scheduled = false;
  const render = (): void => {
    scheduled = false;
    const now = Date.now();
    for (const r of clockPanels) r(state, now);
    if (state.version === rendered) return;
    rendered = state.version;
    for (const r of dataPanels) r(state, now);
  };
  // Coalesce bursts (several windows update in the same second) into one render.
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    window.setTimeout(render, 40);
  };

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
