/** The rating histogram of one genre (or all), its genre selector and its summary statistics. */
import { ALL_GENRES, type DistributionRow, type DistributionsResponse } from '../../src/analytics/analytics-contract.js';
import { axisLabel, axisLine, baseOption, Chart, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C, genreColor, ratingColor } from './colors.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtCompact, fmtDelta, fmtFixed, fmtInt, fmtPct, fmtQuantile, fmtRating } from './format.js';

const MIN_RATING = 0.5;
const MIX = 'Expected at the mix of all genres';
const MAX_RATING = 5;

/** The smallest m × 10^k at least `v`, with m such that m / 4 is round too (1.2 → 0.3, 1.6 → 0.4, …). */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(1, v)));
  for (const m of [1, 1.2, 1.6, 2, 2.4, 3.2, 4, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** A share for a bar label: "<0.1%" rather than "0.0%" for a few ratings. */
function shareLabel(share: number | undefined): string {
  return share !== undefined && share > 0 && share < 0.0005 ? '<0.1%' : fmtPct(share);
}

function ratingLabel(r: number): string {
  return fmtFixed(r, 1);
}

function genreLabel(genre: string): string {
  return genre === ALL_GENRES ? 'All genres' : genre;
}

/** Left offset (%) of a rating on the 0.5 … 5 strip. */
function pos(r: number): number {
  return ((Math.min(MAX_RATING, Math.max(MIN_RATING, r)) - MIN_RATING) / (MAX_RATING - MIN_RATING)) * 100;
}

function stat(label: string, value: string, foot?: HTMLElement | string | null, testId?: string): HTMLElement {
  return h('div', { class: 'stat', 'data-stat': testId ?? null },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    foot ? h('div', { class: 'stat-foot' }, foot) : null);
}

/** A box-and-whisker strip on the 0.5 … 5 scale: p25–p75 box, p50 line, whisker to p95, mean dot. */
function quantileStrip(row: DistributionRow): HTMLElement {
  const strip = h('div', { class: 'qstrip', role: 'img', 'aria-label': `p25 ${fmtQuantile(row.p25)}, median ${fmtQuantile(row.p50)}, p75 ${fmtQuantile(row.p75)}, p95 ${fmtQuantile(row.p95)}, mean ${fmtRating(row.mean)}` });
  const track = h('div', { class: 'qtrack' });
  const { p25, p50, p75, p95, mean } = row;
  if (p25 !== null && p75 !== null) {
    // A box of zero width (p25 = p75) still shows as a thin bar.
    track.append(h('span', { class: 'qbox', style: `left:${pos(p25)}%;width:calc(${pos(p75) - pos(p25)}% + 2px)` }));
  }
  if (p75 !== null && p95 !== null && p95 > p75) {
    track.append(h('span', { class: 'qwhisker', style: `left:${pos(p75)}%;width:${pos(p95) - pos(p75)}%` }));
  }
  if (p95 !== null) track.append(h('span', { class: 'qtick', style: `left:${pos(p95)}%`, title: `p95 ${fmtQuantile(p95)}` }));
  if (p50 !== null) track.append(h('span', { class: 'qmedian', style: `left:${pos(p50)}%`, title: `median ${fmtQuantile(p50)}` }));
  if (mean !== null) track.append(h('span', { class: 'qmean', style: `left:${pos(mean)}%;--r:${ratingColor(mean)}`, title: `mean ${fmtRating(mean)}` }));
  const axis = h('div', { class: 'qaxis' });
  for (let r = 1; r <= MAX_RATING; r++) axis.append(h('span', { style: `left:${pos(r)}%` }, `${r}★`));
  const key = h('div', { class: 'qkey' },
    h('span', null, h('i', { class: 'k-box' }), 'p25–p75'),
    h('span', null, h('i', { class: 'k-median' }), 'median'),
    h('span', null, h('i', { class: 'k-p95' }), 'p95'),
    h('span', null, h('i', { class: 'k-mean', style: `--r:${ratingColor(mean)}` }), 'mean'));
  strip.append(track, axis, key);
  return strip;
}

export interface DistributionView {
  show(resp: DistributionsResponse): void;
  fail(message: string): void;
}

export function createDistribution(): DistributionView {
  const chartEl = byTestId('analytics-histogram');
  const note = chartEl.parentElement?.querySelector<HTMLElement>('.chart-note') ?? null;
  const statsEl = byTestId('analytics-stats');
  const select = byTestId<HTMLSelectElement>('analytics-genre-select');
  const caption = byId('dist-caption');
  let chart: Chart | null = null;
  let rows: DistributionRow[] = [];
  let selected = ALL_GENRES;

  const allRow = (): DistributionRow | undefined => rows.find((r) => r.genre === ALL_GENRES);

  const render = (): void => {
    const row = rows.find((r) => r.genre === selected) ?? rows[0];
    if (!row) {
      statsEl.replaceChildren(h('p', { class: 'muted' }, 'No distributions in the outputs.'));
      if (note) { note.hidden = false; note.textContent = 'No ratings analysed'; }
      chart?.set({ ...baseOption(), series: [] }, true);
      return;
    }
    const all = allRow();
    const compare = all && row.genre !== ALL_GENRES ? all : null;
    if (note) { note.hidden = row.ratings > 0; note.textContent = 'No ratings in this genre'; }
    setText(caption, row.genre === ALL_GENRES
      ? 'Ratings per value (half stars), all genres'
      : `Ratings per value (half stars) of ${row.genre} movies, against the mix of all genres`);

    chart ??= new Chart(chartEl, render);
    const bins = row.histogram;
    // On a phone the share labels would overlap: the tooltip has them.
    const narrow = chartEl.clientWidth < 520;
    const expected = compare ? bins.map((b) => (compare.histogram.find((a) => a.rating === b.rating)?.share ?? 0) * row.ratings) : null;
    // A fixed scale, so a bar's share label can be lifted over the comparison tick above it.
    const gridTop = compare ? 34 : 22;
    const yMax = niceCeil(Math.max(1, ...bins.map((b) => b.count), ...(expected ?? [])) * 1.1);
    const pxPerRating = Math.max(1, chartEl.clientHeight - gridTop - 26) / yMax;
    const labelDistance = (i: number, count: number): number => {
      const lift = ((expected?.[i] ?? 0) - count) * pxPerRating;
      return lift > -16 ? Math.max(4, lift + 6) : 4;
    };
    const option: ChartOption = {
      ...baseOption(),
      grid: { left: 8, right: 12, top: gridTop, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      legend: compare ? {
        show: true, top: 0, right: 4, itemWidth: 16, itemHeight: 3, itemGap: 16, selectedMode: false,
        textStyle: { color: C.muted, fontSize: 11.5 },
        data: [{ name: MIX, icon: 'rect', itemStyle: { color: C.text } }],
      } : { show: false },
      tooltip: tooltip({
        trigger: 'axis',
        axisPointer: { type: 'shadow', shadowStyle: { color: 'rgba(148,163,184,0.07)' } },
        formatter: (params: unknown) => {
          const i = (params as { dataIndex: number }[])[0]?.dataIndex ?? -1;
          const b = bins[i];
          if (!b) return '';
          let html = tipTitle(`Rating ${ratingLabel(b.rating)} ★`)
            + tipRow(ratingColor(b.rating), 'Ratings', fmtInt(b.count))
            + tipRow(ratingColor(b.rating), `Share of ${genreLabel(row.genre)}`, fmtPct(b.share));
          if (compare) {
            const a = compare.histogram.find((x) => x.rating === b.rating);
            html += tipRow(C.text, 'Share of all genres', fmtPct(a?.share));
          }
          return html;
        },
      }),
      xAxis: {
        type: 'category',
        data: bins.map((b) => ratingLabel(b.rating)),
        axisLabel: { ...axisLabel, color: C.text, fontSize: narrow ? 11 : 12, interval: 0, formatter: (v: string) => (narrow ? v : `${v}★`) },
        axisLine, axisTick: { show: false },
      },
      yAxis: {
        type: 'value', min: 0, max: yMax, interval: yMax / 4,
        axisLabel: { ...axisLabel, formatter: (v: number) => fmtCompact(v) },
        splitLine,
      },
      series: [
        {
          type: 'bar', name: row.genre, barCategoryGap: '28%',
          data: bins.map((b, i) => ({
            value: b.count,
            itemStyle: { color: ratingColor(b.rating), borderRadius: [5, 5, 0, 0] },
            label: { distance: labelDistance(i, b.count) },
          })),
          itemStyle: { color: row.genre === ALL_GENRES ? C.accent : genreColor(row.genre) },
          label: {
            show: !narrow, position: 'top', color: C.muted, fontSize: 11, distance: 4,
            formatter: (p: unknown) => shareLabel(bins[(p as { dataIndex: number }).dataIndex]?.share),
          },
          showBackground: true,
          backgroundStyle: { color: 'rgba(148,163,184,0.04)', borderRadius: [5, 5, 0, 0] },
        },
        ...(expected ? [{
          // A tick per value where the genre's bar would end with the rating mix of all genres.
          type: 'line' as const, name: MIX, data: expected,
          symbol: 'rect', symbolSize: [Math.max(10, Math.min(44, chartEl.clientWidth / 22)), 3], z: 5,
          lineStyle: { opacity: 0 },
          itemStyle: { color: C.text, opacity: 0.85 },
          emphasis: { disabled: true },
          tooltip: { show: false },
        }] : []),
      ],
    };
    chart.set(option, true);

    const ofAll = compare && compare.ratings > 0 ? `${fmtPct(row.ratings / compare.ratings)} of all` : 'every genre';
    const meanFoot = compare && row.mean !== null && compare.mean !== null
      ? h('span', { 'data-trend': row.mean - compare.mean > 0.005 ? 'up' : row.mean - compare.mean < -0.005 ? 'down' : 'flat' }, `${fmtDelta(row.mean - compare.mean, 2)} vs all`)
      : 'average rating';
    statsEl.replaceChildren(
      h('div', { class: 'stat-grid three' },
        stat('Ratings', fmtInt(row.ratings), ofAll, 'ratings'),
        stat('Users', fmtInt(row.users), compare && compare.users > 0 ? `${fmtPct(row.users / compare.users)} of all` : 'who rated', 'users'),
        stat('Movies', fmtInt(row.movies), compare && compare.movies > 0 ? `${fmtPct(row.movies / compare.movies)} of all` : 'rated', 'movies')),
      h('div', { class: 'stat-grid two' },
        stat('Mean', fmtRating(row.mean), meanFoot, 'mean'),
        stat('Std dev', fmtFixed(row.stddev, 2), 'population σ', 'stddev')),
      h('div', { class: 'quantiles' },
        h('div', { class: 'stat-label' }, 'Quantiles'),
        quantileStrip(row),
        h('div', { class: 'stat-grid four' },
          stat('p25', fmtQuantile(row.p25), null, 'p25'),
          stat('p50', fmtQuantile(row.p50), null, 'p50'),
          stat('p75', fmtQuantile(row.p75), null, 'p75'),
          stat('p95', fmtQuantile(row.p95), null, 'p95'))),
    );
  };

  select.addEventListener('change', () => {
    selected = select.value;
    render();
  });

  return {
    show(resp) {
      rows = Array.isArray(resp.distributions) ? resp.distributions : [];
      if (!rows.some((r) => r.genre === selected)) selected = rows[0]?.genre ?? ALL_GENRES;
      const all = allRow();
      select.replaceChildren(...rows.map((r) => {
        const share = all && all.ratings > 0 && r.genre !== ALL_GENRES ? ` (${fmtPct(r.ratings / all.ratings)})` : '';
        const opt = h('option', { value: r.genre }, r.genre === ALL_GENRES ? `All genres · ${fmtInt(r.ratings)}` : `${r.genre} · ${fmtInt(r.ratings)}${share}`);
        opt.selected = r.genre === selected;
        return opt;
      }));
      select.disabled = rows.length === 0;
      render();
    },
    fail(message) {
      select.replaceChildren();
      select.disabled = true;
      statsEl.replaceChildren(h('p', { class: 'muted' }, `Could not load the distributions: ${message}`));
      if (note) { note.hidden = false; note.textContent = 'Could not load the distributions'; }
    },
  };
}
