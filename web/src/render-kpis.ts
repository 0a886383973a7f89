/** The KPI cards: current window, total, average, p50, p95, events per second (with a sparkline). */
import type { MetricsRecord } from '../../src/server/metrics-contract.js';
import { byTestId, setText } from './dom.js';
import { DASH, fmtDelta, fmtInt, fmtQuantile, fmtRate, fmtRating, fmtTime, fmtWindow } from './format.js';
import { previousFinal, totalRatings, type DashboardState } from './state.js';

interface KpiEls {
  value: HTMLElement;
  foot: HTMLElement;
}

function kpi(testId: string): KpiEls {
  const value = byTestId(testId);
  const card = value.closest('.kpi');
  const foot = card?.querySelector<HTMLElement>('.kpi-foot');
  if (!foot) throw new Error(`dashboard: KPI ${testId} lacks a .kpi-foot`);
  return { value, foot };
}

type Trend = 'up' | 'down' | 'flat' | 'none';

function setFoot(el: HTMLElement, text: string, trend: Trend = 'none'): void {
  setText(el, text);
  if (el.dataset.trend !== trend) el.dataset.trend = trend;
}

/** "▲ +0.04 vs 14:02" against the previous final window. */
function deltaFoot(el: HTMLElement, cur: number | null, prev: MetricsRecord | null, prevValue: number | null, digits: number, noun: string): void {
  if (cur === null || prev === null || prevValue === null) {
    setFoot(el, prev === null ? `this ${noun}` : DASH);
    return;
  }
  const d = cur - prevValue;
  const trend: Trend = Math.abs(d) < 0.5 * 10 ** -digits ? 'flat' : d > 0 ? 'up' : 'down';
  const arrow = trend === 'up' ? '▲' : trend === 'down' ? '▼' : '●';
  setFoot(el, `${arrow} ${fmtDelta(d, digits)} vs ${fmtTime(prev.window_start).slice(0, 5)}`, trend);
}

export function createKpis(): (s: DashboardState) => void {
  const windowCount = kpi('kpi-window-count');
  const total = kpi('kpi-total');
  const avg = kpi('kpi-avg');
  const p50 = kpi('kpi-p50');
  const p95 = kpi('kpi-p95');
  const rate = kpi('kpi-rate');
  const spark = document.querySelector<SVGSVGElement>('#rate-spark');
  const sparkLine = spark?.querySelector<SVGPathElement>('.spark-line') ?? null;
  const sparkArea = spark?.querySelector<SVGPathElement>('.spark-area') ?? null;

  return (s) => {
    const cur = s.tumbling;
    const prev = previousFinal(s);

    setText(windowCount.value, cur ? fmtInt(cur.count) : DASH);
    setFoot(windowCount.foot, cur
      ? `${fmtWindow(cur.window_start, cur.window_end)}${cur.final ? ' · closed' : ''}${prev ? ` · prev ${fmtInt(prev.count)}` : ''}`
      : 'waiting for the first window');

    setText(total.value, s.hasData ? fmtInt(totalRatings(s)) : DASH);
    setFoot(total.foot, 'processed by the pipeline');

    setText(avg.value, fmtRating(cur?.avg_rating));
    deltaFoot(avg.foot, cur?.avg_rating ?? null, prev, prev?.avg_rating ?? null, 2, 'window');

    setText(p50.value, fmtQuantile(cur?.p50_rating));
    deltaFoot(p50.foot, cur?.p50_rating ?? null, prev, prev?.p50_rating ?? null, 1, 'window');

    setText(p95.value, fmtQuantile(cur?.p95_rating));
    setFoot(p95.foot, cur?.p99_rating !== null && cur?.p99_rating !== undefined ? `p99 ${fmtQuantile(cur.p99_rating)}` : DASH);

    const h = s.health;
    setText(rate.value, h ? fmtRate(h.events_per_second) : DASH);
    setFoot(rate.foot, h ? `lag ${fmtInt(h.consumer_lag)} · ${fmtInt(h.metrics_received)} results` : 'waiting for health');

    if (sparkLine && sparkArea) {
      const pts = s.rate;
      if (pts.length < 2) {
        sparkLine.setAttribute('d', '');
        sparkArea.setAttribute('d', '');
      } else {
        const max = Math.max(1, ...pts.map((p) => p.v)) * 1.15;
        const W = 120;
        const H = 32;
        const step = W / (pts.length - 1);
        const coords = pts.map((p, i) => `${(i * step).toFixed(1)},${(H - (p.v / max) * H).toFixed(1)}`);
        const line = `M${coords.join('L')}`;
        sparkLine.setAttribute('d', line);
        sparkArea.setAttribute('d', `${line}L${W},${H}L0,${H}Z`);
      }
    }
  };
}
