/** Top movies: the top-10 bar chart (coloured by average rating) and the top-20 table. */
import type { MetricsRecord, TopMovie } from '../../src/server/metrics-contract.js';
import { barCell, emptyRow, genreChips, ratingCell, titleCell } from './cells.js';
import { Chart } from './charts.js';
import { byTestId, h } from './dom.js';
import { fmtInt } from './format.js';
import { rankingSource, type DashboardState } from './state.js';
import { windowCaption } from './render-status.js';
import { topBarsOption } from './top-bars.js';

const CHART_ROWS = 10;
const TABLE_ROWS = 20;

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

    chart.set(topBarsOption(chartEl, top10), true);

    const maxScore = Math.max(1, ...movies.map((m) => m.score));
    const rows = movies.slice(0, TABLE_ROWS).map((m, i) => h('tr', null,
      h('td', { class: 'rank' }, String(i + 1)),
      titleCell(m.title),
      h('td', { class: 'genres' }, genreChips(m.genres)),
      h('td', { class: 'num' }, fmtInt(m.count)),
      ratingCell(m.avg_rating),
      barCell(m.score, maxScore),
    ));
    if (rows.length === 0) rows.push(emptyRow(6, 'No ratings in this window yet'));
    tbody.replaceChildren(...rows);
  };
}
