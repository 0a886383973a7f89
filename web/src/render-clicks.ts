/** The Clicks page's figures (totals, shares, rate) and its chart of cheers and hate per 2-second bin. */
import { axisLabel, axisLine, baseOption, Chart, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C } from './colors.js';
import { byId, byTestId, setText } from './dom.js';
import { fmtInt, fmtPct, fmtTime } from './format.js';
import { binSeries, clickTotals, currentRate, rateText, viewEnd, type BinPoint, type ClicksState } from './clicks-state.js';

const hms = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const TICK_MS = 20_000;

/** Where a bin is drawn: its middle. The tooltip names the whole bin. */
const mid = (p: BinPoint): [number, number, number, number] => [(p[0] + p[2]) / 2, p[1], p[0], p[2]];

export function createClickFigures(): (s: ClicksState, now: number) => void {
  const cheers = byTestId('clicks-total-cheers');
  const hate = byTestId('clicks-total-hate');
  const all = byTestId('clicks-total');
  const rate = byTestId('clicks-rate');
  const cheersFoot = byId('cheers-foot');
  const hateFoot = byId('hate-foot');
  const shareBar = byId('share-cheers');
  const updated = byId('data-updated');

  return (s, now) => {
    const t = clickTotals(s);
    const known = s.data !== null;
    setText(cheers, known ? fmtInt(t.cheers) : '—');
    setText(hate, known ? fmtInt(t.hate) : '—');
    setText(all, known ? fmtInt(t.all) : '—');
    setText(cheersFoot, t.cheersShare === null ? 'no clicks yet' : `${fmtPct(t.cheersShare)} of all clicks`);
    setText(hateFoot, t.cheersShare === null ? 'no clicks yet' : `${fmtPct(1 - t.cheersShare)} of all clicks`);
    const share = t.cheersShare === null ? '50%' : `${(t.cheersShare * 100).toFixed(1)}%`;
    if (shareBar.style.width !== share) shareBar.style.width = share;
    shareBar.parentElement?.classList.toggle('none', t.cheersShare === null);
    setText(rate, rateText(currentRate(s, now)));
    setText(updated, s.data?.updated_at ? `last result at ${fmtTime(s.data.updated_at)}` : 'no result yet');
  };
}

export function createClicksChart(): (s: ClicksState, now: number) => void {
  const el = byTestId('chart-clicks');
  const note = el.parentElement?.querySelector<HTMLElement>('.chart-note') ?? null;
  let chart: Chart | null = null;
  let lastVersion = -1;
  let lastTo = NaN;

  return (s, now) => {
    // Before the first result the data has no time: the axis ends at the client's clock.
    const series = binSeries(s, viewEnd(s, now) ?? (s.data ? now : null));
    if (!series) return;
    // Redraw on new data, or when the time axis moved on by a bin.
    if (s.version === lastVersion && series.to === lastTo && chart) return;
    lastVersion = s.version;
    lastTo = series.to;
    chart ??= new Chart(el);
    el.dataset.plotted = String(series.plotted);
    el.dataset.bins = String(series.cheers.length);
    if (note) {
      note.hidden = series.plotted > 0;
      if (series.plotted === 0) {
        note.textContent = clickTotals(s).all > 0 ? 'No clicks in the last 2 minutes' : 'No clicks yet — press a button in the clicker';
      }
    }

    const ticks: number[] = [];
    for (let t = Math.ceil(series.from / TICK_MS) * TICK_MS; t <= series.to; t += TICK_MS) ticks.push(t);
    const line = (name: string, color: string, fill: string, data: BinPoint[]) => ({
      name, type: 'line' as const, data: data.map(mid), smooth: 0.25, smoothMonotone: 'x' as const, showSymbol: false, symbol: 'circle', symbolSize: 6,
      lineStyle: { width: 2.2, color }, itemStyle: { color },
      areaStyle: { color: { type: 'linear' as const, x: 0, y: 0, x2: 0, y2: 1, colorStops: [{ offset: 0, color: fill }, { offset: 1, color: 'rgba(0,0,0,0)' }] } },
      emphasis: { focus: 'none' as const },
    });
    const option: ChartOption = {
      ...baseOption(),
      animationDurationUpdate: 250,
      grid: { left: 8, right: 16, top: 36, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      legend: {
        top: 0, right: 4, itemWidth: 14, itemHeight: 8, icon: 'roundRect',
        textStyle: { color: C.muted, fontSize: 11 }, data: ['Cheers', 'Hate'],
      },
      tooltip: tooltip({
        trigger: 'axis',
        axisPointer: { type: 'line', lineStyle: { color: C.axis } },
        formatter: (params: unknown) => {
          const list = (Array.isArray(params) ? params : [params]) as { seriesName?: string; value?: [number, number, number, number]; color?: string }[];
          const v = list[0]?.value;
          if (!v) return '';
          return tipTitle(`${hms.format(v[2])}–${hms.format(v[3])}`)
            + list.map((p) => tipRow(p.seriesName === 'Hate' ? C.rose : C.green, p.seriesName ?? '', fmtInt(p.value?.[1]))).join('');
        },
      }),
      xAxis: {
        type: 'value', min: series.from, max: series.to,
        axisLabel: { ...axisLabel, customValues: ticks, formatter: (v: number) => hms.format(v) },
        axisLine, axisTick: { show: false }, splitLine: { show: false },
      },
      yAxis: {
        type: 'value', min: 0, minInterval: 1,
        max: (e: { max: number }) => Math.max(4, Math.ceil(e.max * 1.15)),
        axisLabel: { ...axisLabel, formatter: (v: number) => fmtInt(v) },
        axisLine: { show: false }, axisTick: { show: false }, splitLine, splitNumber: 4,
      },
      series: [line('Cheers', C.green, 'rgba(52,211,153,0.28)', series.cheers), line('Hate', C.rose, 'rgba(251,113,133,0.24)', series.hate)],
    };
    chart.set(option);
  };
}
