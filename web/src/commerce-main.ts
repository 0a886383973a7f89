/**
 * The Commerce page: one EventSource on `/commerce/stream` (a `snapshot` at connect: the summary,
 * the last 20 windows and the newest orders; then a `summary` with the newest orders on each
 * change) and one initial GET of `/commerce/orders` feed the state (commerce-state.ts); each
 * change schedules one render. No polling: a 1 s ticker only refreshes the "… ago" text and the
 * banner.
 */
import './shared.js';
import type { CommerceOrders, CommerceStreamSnapshot, CommerceStreamSummary } from '../../src/pipelines/commerce/commerce-contract.js';
import {
  applyOrders,
  applySnapshot,
  initialCommerceState,
  MAX_ORDERS,
  setCommerceConnection,
  type CommerceState,
} from './commerce-state.js';
import { byId, byTestId } from './dom.js';
import { createConnection } from './render-connection.js';
import {
  createBehaviorChart,
  createCategoryChart,
  createCommerceKpis,
  createOrdersTable,
  createRevenueChart,
  createSearchesTable,
} from './render-commerce.js';
import { connectEventStream } from './sse.js';
import { renderScheduler, safe, type Renderer } from './render-loop.js';

const STREAM_URL = '/commerce/stream';

/** A GET whose JSON goes to `apply`; a failure is left to the stream (the banner says so). */
async function fetchInto<T>(url: string, apply: (v: T) => void): Promise<void> {
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    if (!res.ok) return;
    apply((await res.json()) as T);
  } catch {
    // The stream's status shows a server that is down; nothing to add here.
  }
}

function start(): void {
  const startedAt = Date.now();
  const state = initialCommerceState();
  const connecting = byId('connecting-card');
  const empty = byTestId('empty-state');
  const connection = createConnection(startedAt, {
    stream: 'commerce stream',
    frozen: 'The figures below are frozen until the stream is back.',
    live: 'the shop is live again.',
  });
  const renderers: Renderer<CommerceState>[] = [
    safe('connection header', (s, now) => connection(s, now)),
    safe('KPIs', createCommerceKpis()),
    safe('revenue chart', createRevenueChart()),
    safe('category chart', createCategoryChart()),
    safe('behaviour chart', createBehaviorChart()),
    safe('orders table', createOrdersTable()),
    safe('searches table', createSearchesTable()),
    (s) => {
      const hasWindow = s.summary !== null || s.windows.size > 0;
      connecting.hidden = s.hasData;
      empty.hidden = !s.hasData || hasWindow;
      document.body.classList.toggle('no-data', !hasWindow);
    },
  ];

  const render = (): void => {
    const now = Date.now();
    for (const r of renderers) r(state, now);
  };
  const schedule = renderScheduler(render, 40);
  const then = <T>(apply: (s: CommerceState, v: T) => unknown) => (v: T): void => {
    apply(state, v);
    schedule();
  };

  // The server speaks only on change (its heartbeats are comments), so no silence watchdog.
  // `snapshot` carries the summary, the recent windows and the newest orders; `summary` the
  // summary with the newest orders (applySnapshot takes both shapes).
  connectEventStream<{ snapshot: CommerceStreamSnapshot; summary: CommerceStreamSummary }>(STREAM_URL, {
    events: { snapshot: then(applySnapshot), summary: then(applySnapshot) },
    status: (c) => { setCommerceConnection(state, c); schedule(); },
  }, { silenceMs: 0 });

  // The snapshot has the 10 newest orders; the table shows MAX_ORDERS from the start. (No GET of
  // /commerce/summary: it answers 404 before the first window, which the snapshot says as null.)
  void fetchInto(`/commerce/orders?limit=${MAX_ORDERS}`, then((s, v: CommerceOrders) => applyOrders(s, v)));

  window.setInterval(render, 1_000);
  render();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
