/**
 * The Clicks page: one EventSource on /clicks/stream (a `snapshot` at connect, then a `data` on
 * each change, both the whole ClicksData) feeds the state (clicks-state.ts); each change
 * schedules one render. No polling: a 1 s ticker moves the chart's time axis on, decays the rate
 * and refreshes the "… ago" text and the banner.
 */
import './shared.js';
import type { ClicksData } from '../../src/pipelines/clicks/clicks-contract.js';
import { applyClicksData, initialClicksState, setClicksConnection, type ClicksState } from './clicks-state.js';
import { byId } from './dom.js';
import { createClickFigures, createClicksChart } from './render-clicks.js';
import { createConnection } from './render-connection.js';
import { connectEventStream } from './sse.js';
import { renderScheduler, safe, type Renderer } from './render-loop.js';

const STREAM_URL = '/clicks/stream';

function start(): void {
  const startedAt = Date.now();
  const state = initialClicksState();
  const connecting = byId('connecting-card');
  const connection = createConnection(startedAt, {
    stream: 'clicks stream',
    frozen: 'The figures below are frozen until the stream is back.',
    live: 'the clicks are live again.',
  });
  const renderers: Renderer<ClicksState>[] = [
    safe('connection header', (s, now) => connection(s, now)),
    safe('figures', createClickFigures()),
    safe('chart', createClicksChart()),
    (s) => {
      connecting.hidden = s.data !== null;
      document.body.classList.toggle('no-data', s.data === null);
    },
  ];

  const render = (): void => {
    const now = Date.now();
    for (const r of renderers) r(state, now);
  };
  const schedule = renderScheduler(render, 40);
  const apply = (d: ClicksData): void => {
    applyClicksData(state, d);
    schedule();
  };

  // The server speaks only on change (its heartbeats are comments), so no silence watchdog.
  connectEventStream<{ snapshot: ClicksData; data: ClicksData }>(STREAM_URL, {
    events: { snapshot: apply, data: apply },
    status: (c) => { setClicksConnection(state, c); schedule(); },
  }, { silenceMs: 0 });

  window.setInterval(render, 1_000);
  render();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
