/** The horizontal "top movies" bar chart (score bars coloured by average rating), shared by both pages. */
import { axisLabel, baseOption, escapeHtml, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C, ratingColor } from './colors.js';
import { fmtCompact, fmtFixed, fmtInt, fmtRating, truncate } from './format.js';

export interface BarMovie {
  title: string;
  genres?: readonly string[] | undefined;
  avg_rating: number | null;
  /** Ratings of the movie. */
  count: number;
  score: number;
  /** Rank to label the bar with (default its position + 1). */
  rank?: number;
}

/** The chart option for `movies` (best first) in `chartEl` (its width sizes the labels). */
export function topBarsOption(chartEl: HTMLElement, movies: readonly BarMovie[]): ChartOption {
  // Title labels take at most ~45% of the chart, so bars keep room on a phone.
  const labelWidth = Math.round(Math.min(210, Math.max(90, chartEl.clientWidth * 0.45)));
  const maxChars = Math.max(12, Math.floor(labelWidth / 6.3));
  return {
    ...baseOption(),
    grid: { left: 8, right: 56, top: 4, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
    tooltip: tooltip({
      trigger: 'item',
      formatter: (p: unknown) => {
        const m = movies[(p as { dataIndex: number }).dataIndex];
        if (!m) return '';
        return tipTitle(m.title)
          + (m.genres?.length ? `<div style="color:${C.muted};margin:-2px 0 6px">${escapeHtml(m.genres.join(' · '))}</div>` : '')
          + tipRow(ratingColor(m.avg_rating), 'Avg rating', fmtRating(m.avg_rating))
          + tipRow(C.cyan, 'Ratings', fmtInt(m.count))
          + tipRow(C.text, 'Score', fmtFixed(m.score, 1));
      },
    }),
    xAxis: {
      type: 'value', min: 0, splitNumber: chartEl.clientWidth < 480 ? 2 : 4,
      axisLabel: { ...axisLabel, formatter: (v: number) => fmtCompact(v) },
      splitLine,
    },
    yAxis: {
      type: 'category', inverse: true,
      data: movies.map((m, i) => `${m.rank ?? i + 1}. ${truncate(m.title, maxChars)}`),
      axisLabel: { ...axisLabel, color: C.text, fontSize: 12, width: labelWidth, overflow: 'truncate' },
      axisLine: { show: false }, axisTick: { show: false },
    },
    series: [{
      type: 'bar', name: 'Score', barMaxWidth: 24, barCategoryGap: '38%',
      data: movies.map((m) => ({ value: m.score, itemStyle: { color: ratingColor(m.avg_rating), borderRadius: [0, 5, 5, 0] } })),
      label: {
        show: true, position: 'right', color: C.muted, fontSize: 11,
        formatter: (p: unknown) => fmtFixed((p as { value: number }).value, 1),
      },
      showBackground: true,
      backgroundStyle: { color: 'rgba(148,163,184,0.05)', borderRadius: [0, 5, 5, 0] },
    }],
  };
}
