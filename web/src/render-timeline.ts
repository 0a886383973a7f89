/** Over time: ratings per 1-minute window (area) and avg / p50 / p95 (lines), from final windows. */
import { axisLabel, axisLine, baseOption, Chart, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C } from './colors.js';
import { byTestId } from './dom.js';
import { fmtInt, fmtQuantile, fmtRating, fmtWindow } from './format.js';
import { openWindow, type DashboardState } from './state.js';
import type { MetricsRecord } from '../../src/server/metrics-contract.js';

type Point = [number, number | null, string];

const MIN = 60_000;
const hhmm = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * A numeric axis of epoch ms with ticks at round multiples of a "nice" step (about five labels),
 * spanning the data exactly, and at least ten minutes so one or two points do not get a wide scale.
 */
function timeAxis(points: Point[]) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p[0]);
    hi = Math.max(hi, p[0]);
  }
  if (!Number.isFinite(lo)) {
    hi = Date.now();
    lo = hi - 10 * MIN;
  }
  if (hi - lo < 10 * MIN) lo = hi - 10 * MIN;
  const span = hi - lo;
  const step = ([1, 2, 5, 10, 15, 20, 30, 60, 120, 240].find((m) => span / (m * MIN) <= 6.5) ?? 480) * MIN;
  // Labels at round multiples of the step (local time), not too close to the edges.
  const offset = new Date(hi).getTimezoneOffset() * MIN;
  const ticks: number[] = [];
  for (let t = Math.ceil((lo - offset) / step) * step + offset; t <= hi; t += step) {
    if (t - lo > span * 0.04 && hi - t > span * 0.04) ticks.push(t);
  }
  return {
    type: 'value' as const,
    min: lo,
    max: hi,
    axisLabel: { ...axisLabel, customValues: ticks, formatter: (v: number) => hhmm.format(v) },
    axisLine,
    axisTick: { show: false },
    splitLine: { show: false },
  };
}
const valueAxisLine = { show: false };
const noTicks = { show: false };

/** Data points sit at the window's start; the tooltip shows the whole window. */
const at = (r: MetricsRecord, v: number | null): Point => [Date.parse(r.window_start), v, r.window_end];

/**
 * The open window's count scaled to a full minute by how far event time has got into it
 * (max_event_time), so the live point does not look like a collapse; null early in the window.
 */
export function projectedCount(open: MetricsRecord): number | null {
  const start = Date.parse(open.window_start);
  const end = Date.parse(open.window_end);
  const at = open.max_event_time ? Date.parse(open.max_event_time) : NaN;
  if (Number.isNaN(at) || !(end > start)) return null;
  const fraction = (Math.min(end, at) - start) / (end - start);
  return fraction >= 0.15 ? open.count / fraction : null;
}

function axisTooltipTitle(params: unknown): string {
  const first = (Array.isArray(params) ? params[0] : params) as { value?: Point } | undefined;
  const v = first?.value;
  return v ? tipTitle(fmtWindow(new Date(v[0]).toISOString(), v[2])) : '';
}

export function createTimeline(): (s: DashboardState) => void {
  const throughputEl = byTestId('chart-throughput');
  const qualityEl = byTestId('chart-quality');
  let throughput: Chart | null = null;
  let quality: Chart | null = null;
  let lastHistory: MetricsRecord | undefined;
  let lastLength = -1;
  let lastOpen: MetricsRecord | null = null;

  const note = (el: HTMLElement, text: string | null): void => {
    const n = el.parentElement?.querySelector<HTMLElement>('.chart-note');
    if (!n) return;
    n.hidden = text === null;
    if (text !== null) n.textContent = text;
  };

  return (s) => {
    if (!s.hasData) return;
    const open = openWindow(s);
    const last = s.history[s.history.length - 1];
    if (last === lastHistory && s.history.length === lastLength && open === lastOpen && throughput) return;
    lastHistory = last;
    lastLength = s.history.length;
    lastOpen = open;
    throughput ??= new Chart(throughputEl);
    quality ??= new Chart(qualityEl);

    const counts = s.history.map((r) => at(r, r.count));
    const projected = open ? projectedCount(open) : null;
    // Without a projection (early in the window) the open window is left out: its partial count would look like a drop.
    const live: Point[] = !open || projected === null || !last ? [] : [at(last, last.count), at(open, projected)];
    note(throughputEl, counts.length === 0 ? 'Waiting for the first complete minute…' : null);
    note(qualityEl, s.history.length === 0 ? 'Waiting for the first complete minute…' : null);

    const tOption: ChartOption = {
      ...baseOption(),
      ...timelineFrame(['Ratings / min', { name: 'Current window', icon: 'circle' }], (name) => (name === 'Current window' ? 'Current (projected)' : name)),
      tooltip: tooltip({
        trigger: 'axis',
        axisPointer: { type: 'line', lineStyle: { color: C.axis } },
        formatter: (params: unknown) => {
          const list = (Array.isArray(params) ? params : [params]) as { seriesName?: string; value?: Point; color?: string }[];
          const p = list.find((x) => x.seriesName === 'Current window' && x.value && x.value[0] === (open ? Date.parse(open.window_start) : NaN)) ?? list[0];
          if (!p?.value) return '';
          if (p.seriesName === 'Current window' && open) {
            return axisTooltipTitle([p]) + tipRow(C.violet, 'Ratings so far', fmtInt(open.count))
              + (projected !== null ? tipRow(C.violet, 'Projected for the minute', fmtInt(projected)) : '');
          }
          return axisTooltipTitle([p]) + tipRow(C.cyan, 'Ratings', fmtInt(p.value[1]));
        },
      }),
      xAxis: timeAxis([...counts, ...live]),
      yAxis: {
        type: 'value', min: 0,
        axisLabel: { ...axisLabel, formatter: (v: number) => fmtInt(v) },
        axisLine: valueAxisLine, axisTick: noTicks, splitLine, splitNumber: 4,
      },
      series: [
        {
          name: 'Ratings / min', type: 'line', data: counts, smooth: 0.3, showSymbol: counts.length < 30,
          symbol: 'circle', symbolSize: 5, lineStyle: { width: 2, color: C.cyan }, itemStyle: { color: C.cyan },
          areaStyle: {
            color: { type: 'linear', x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: 'rgba(56,189,248,0.35)' }, { offset: 1, color: 'rgba(56,189,248,0.02)' }] },
          },
          emphasis: { focus: 'none' },
        },
        {
          name: 'Current window', type: 'line',
          // The first point repeats the last closed window: draw the line from it but no dot.
          data: live.map((p, i) => (i === 0 ? { value: p, symbol: 'none' } : { value: p })), showSymbol: true, symbol: 'circle', symbolSize: 7,
          lineStyle: { width: 2, type: 'dashed', color: C.violet }, itemStyle: { color: C.violet, borderColor: C.card, borderWidth: 2 },
          z: 3,
        },
      ],
    };
    throughput.set(tOption);

    const series = (name: string, color: string, key: 'avg_rating' | 'p50_rating' | 'p95_rating', smooth: number, step = false) => ({
      name, type: 'line' as const, data: s.history.map((r) => at(r, r[key])), smooth: step ? false : smooth,
      step: step ? ('middle' as const) : (false as const),
      showSymbol: s.history.length < 30, symbol: 'circle', symbolSize: 5,
      lineStyle: { width: step ? 1.5 : 2.2, color, opacity: step ? 0.85 : 1 }, itemStyle: { color },
    });
    const qOption: ChartOption = {
      ...baseOption(),
      ...timelineFrame(['Average', 'p50', 'p95']),
      tooltip: tooltip({
        trigger: 'axis',
        axisPointer: { type: 'line', lineStyle: { color: C.axis } },
        formatter: (params: unknown) => {
          const list = (Array.isArray(params) ? params : [params]) as { seriesName?: string; value?: Point; color?: string }[];
          return axisTooltipTitle(list) + list.map((p) => tipRow(String(p.color ?? C.text), p.seriesName ?? '', p.seriesName === 'Average' ? fmtRating(p.value?.[1]) : fmtQuantile(p.value?.[1]))).join('');
        },
      }),
      xAxis: timeAxis(counts),
      yAxis: {
        type: 'value',
        min: (e: { min: number }) => Math.max(0, Math.floor(e.min * 2) / 2 - 0.5),
        max: 5,
        interval: 0.5,
        axisLabel: { ...axisLabel, formatter: (v: number) => v.toFixed(1) },
        axisLine: valueAxisLine, axisTick: noTicks, splitLine,
      },
      series: [
        series('p95', C.amber, 'p95_rating', 0, true),
        series('Average', C.violet, 'avg_rating', 0.3),
        series('p50', C.green, 'p50_rating', 0, true),
      ],
    };
    quality.set(qOption);
  };
}

/** The grid and top-right legend both charts over time share. */
function timelineFrame(data: (string | { name: string; icon: string })[], formatter?: (name: string) => string) {
  return {
    grid: { left: 8, right: 16, top: 36, bottom: 4, outerBoundsMode: 'same' as const, outerBoundsContain: 'axisLabel' as const },
    legend: {
      top: 0, right: 4, itemWidth: 14, itemHeight: 8, icon: 'roundRect',
      textStyle: { color: C.muted, fontSize: 11 },
      data,
      ...(formatter ? { formatter } : {}),
    },
  };
}
