/** Top movies: the top-10 bar chart (coloured by average rating) and the top-20 table. */
import type { MetricsRecord, TopMovie } from '../../src/server/metrics-contract.js';
import { axisLabel, baseOption, Chart, escapeHtml, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C, genreColor, ratingColor } from './colors.js';
import { byTestId, h } from './dom.js';
import { fmtFixed, fmtInt, fmtRating, splitTitle, truncate } from './format.js';
import { rankingSource, type DashboardState } from './state.js';
import { windowCaption } from './render-status.js';

const CHART_ROWS = 10;
const TABLE_ROWS = 20;

function genreChips(genres: readonly string[] | undefined): HTMLElement {
  const wrap = h('div', { class: 'chips' });
  for (const g of (genres ?? []).slice(0, 3)) {
    wrap.append(h('span', { class: 'chip', style: `--chip:${genreColor(g)}` }, g));
  }
  if ((genres?.length ?? 0) > 3) wrap.append(h('span', { class: 'chip chip-more' }, `+${(genres?.length ?? 0) - 3}`));
  return wrap;
}

export function createTop(): (s: DashboardState) => void {
  const chartEl = byTestId('chart-top');
  const table = byTestId<HTMLTableElement>('table-top');
  const tbody = table.tBodies[0] ?? table.createTBody();
  const caption = document.querySelector<HTMLElement>('#top-caption');
  let chart: Chart | null = null;
  let shown: MetricsRecord | null = null;

  return (s) => {
    if (!s.hasData) return;
    const src = rankingSource(s);
    if (src === shown && chart) return;
    shown = src;
    chart ??= new Chart(chartEl);
    if (caption) caption.textContent = windowCaption(src);

    const movies: TopMovie[] = (src?.top_movies ?? []).slice().sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    const top10 = movies.slice(0, CHART_ROWS);
    const note = chartEl.parentElement?.querySelector<HTMLElement>('.chart-note');
    if (note) {
      note.hidden = top10.length > 0;
      note.textContent = 'No ratings in this window yet';
    }

    // Title labels take at most ~45% of the chart, so bars keep room on a phone.
    const labelWidth = Math.round(Math.min(210, Math.max(90, chartEl.clientWidth * 0.45)));
    const maxChars = Math.max(12, Math.floor(labelWidth / 6.3));
    const option: ChartOption = {
      ...baseOption(),
      grid: { left: 8, right: 56, top: 4, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      tooltip: tooltip({
        trigger: 'item',
        formatter: (p: unknown) => {
          const m = top10[(p as { dataIndex: number }).dataIndex];
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
        axisLabel: { ...axisLabel, formatter: (v: number) => fmtInt(v) },
        splitLine,
      },
      yAxis: {
        type: 'category', inverse: true,
        data: top10.map((m, i) => `${i + 1}. ${truncate(m.title, maxChars)}`),
        axisLabel: { ...axisLabel, color: C.text, fontSize: 12, width: labelWidth, overflow: 'truncate' },
        axisLine: { show: false }, axisTick: { show: false },
      },
      series: [{
        type: 'bar', name: 'Score', barMaxWidth: 24, barCategoryGap: '38%',
        data: top10.map((m) => ({ value: m.score, itemStyle: { color: ratingColor(m.avg_rating), borderRadius: [0, 5, 5, 0] } })),
        label: {
          show: true, position: 'right', color: C.muted, fontSize: 11,
          formatter: (p: unknown) => fmtFixed((p as { value: number }).value, 1),
        },
        showBackground: true,
        backgroundStyle: { color: 'rgba(148,163,184,0.05)', borderRadius: [0, 5, 5, 0] },
      }],
    };
    chart.set(option, true);

    const maxScore = Math.max(1, ...movies.map((m) => m.score));
    const rows = movies.slice(0, TABLE_ROWS).map((m, i) => {
      const { name, year } = splitTitle(m.title);
      return h('tr', null,
        h('td', { class: 'rank' }, String(i + 1)),
        h('td', { class: 'title' }, h('span', { class: 'name', title: m.title }, name), year ? h('span', { class: 'year' }, year) : null),
        h('td', { class: 'genres' }, genreChips(m.genres)),
        h('td', { class: 'num' }, fmtInt(m.count)),
        h('td', { class: 'num' }, h('span', { class: 'rating', style: `--r:${ratingColor(m.avg_rating)}` }, fmtRating(m.avg_rating))),
        h('td', { class: 'num' }, h('span', { class: 'barcell' },
          h('span', { class: 'track' }, h('span', { class: 'fill', style: `--w:${(m.score / maxScore).toFixed(3)}` })),
          h('span', { class: 'val' }, fmtFixed(m.score, 1)))),
      );
    });
    if (rows.length === 0) rows.push(h('tr', { class: 'empty-row' }, h('td', { colspan: 6 }, 'No ratings in this window yet')));
    tbody.replaceChildren(...rows);
  };
}
