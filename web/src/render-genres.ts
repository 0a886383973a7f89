/** Genres: share of ratings (donut), average rating (bars) and a table, for the ranking window. */
import type { GenreRow, MetricsRecord } from '../../src/server/metrics-contract.js';
import { axisLabel, baseOption, Chart, splitLine, tipRow, tipTitle, tooltip, type ChartOption } from './charts.js';
import { C, genreColor, ratingColor } from './colors.js';
import { byTestId, h, setText } from './dom.js';
import { fmtInt, fmtPct, fmtRating } from './format.js';
import { rankingSource, type DashboardState } from './state.js';
import { windowCaption } from './render-status.js';

/** Slices in the donut before the rest is grouped as "Other". */
const DONUT_SLICES = 8;
const OTHER = 'Other';

/** Genre rows of a window, most rated first; share is of the window's ratings. */
export function genreRows(r: MetricsRecord | null): GenreRow[] {
  if (!r?.genres) return [];
  const total = r.count > 0 ? r.count : 0;
  return Object.entries(r.genres)
    .map(([genre, v]) => {
      const share = total > 0 ? v.count / total : 0;
      return { genre, count: v.count, avg_rating: v.avg_rating, share, percentage: share * 100 };
    })
    .filter((g) => g.count > 0)
    .sort((a, b) => b.count - a.count || a.genre.localeCompare(b.genre));
}

/** Legend items per row and row height, to keep the donut clear of the legend below it. */
const LEGEND_ITEM_W = 150;
const LEGEND_ROW_H = 21;

interface DonutLayout {
  center: [number, number];
  radius: [number, number];
  legendWidth: number;
}

/** The donut's centre and radii in pixels, above a legend of `items` entries. */
function donutLayout(el: HTMLElement, items: number): DonutLayout {
  const w = Math.max(1, el.clientWidth);
  const hgt = Math.max(1, el.clientHeight);
  const perRow = Math.max(1, Math.min(3, Math.floor((w - 16) / LEGEND_ITEM_W)));
  const legendH = Math.ceil(Math.max(1, items) / perRow) * LEGEND_ROW_H + 12;
  const area = Math.max(80, hgt - legendH);
  const outer = Math.max(30, Math.min(170, w / 2 - 8, area / 2 - 8));
  return { center: [w / 2, area / 2], radius: [Math.round(outer * 0.66), Math.round(outer)], legendWidth: perRow * LEGEND_ITEM_W };
}

export function createGenres(): (s: DashboardState) => void {
  const shareEl = byTestId('chart-genre-share');
  const avgEl = byTestId('chart-genre-avg');
  const table = byTestId<HTMLTableElement>('table-genres');
  const tbody = table.tBodies[0] ?? table.createTBody();
  const caption = document.querySelector<HTMLElement>('#genre-caption');
  const centerValue = document.querySelector<HTMLElement>('#donut-center-value');
  const centerLabel = document.querySelector<HTMLElement>('#donut-center-label');
  let share: Chart | null = null;
  let avg: Chart | null = null;
  let shown: MetricsRecord | null = null;
  let sliceCountForLayout = 0;
  const centerBox = centerValue?.parentElement ?? null;

  const placeDonut = (): DonutLayout => {
    const l = donutLayout(shareEl, sliceCountForLayout);
    if (centerBox) {
      centerBox.style.left = `${l.center[0]}px`;
      centerBox.style.top = `${l.center[1]}px`;
    }
    return l;
  };

  return (s) => {
    if (!s.hasData) return;
    const src = rankingSource(s);
    if (src === shown && share) return;
    shown = src;
    share ??= new Chart(shareEl, () => {
      const l = placeDonut();
      share?.set({ series: [{ center: l.center, radius: l.radius }], legend: { width: l.legendWidth } });
    });
    avg ??= new Chart(avgEl);
    if (caption) caption.textContent = windowCaption(src);

    const rows = genreRows(src);
    const sumCounts = rows.reduce((a, g) => a + g.count, 0);
    if (centerValue) setText(centerValue, src ? fmtInt(src.count) : '—');
    if (centerLabel) setText(centerLabel, `ratings · ${rows.length} genres`);

    const slices = rows.slice(0, DONUT_SLICES).map((g) => ({ name: g.genre, value: g.count, itemStyle: { color: genreColor(g.genre) } }));
    const rest = rows.slice(DONUT_SLICES).reduce((a, g) => a + g.count, 0);
    if (rest > 0) slices.push({ name: OTHER, value: rest, itemStyle: { color: C.other } });
    // Share of genre assignments, so the slices add up to 100% (a movie can have several genres).
    const pct = (n: number): string => fmtPct(sumCounts > 0 ? n / sumCounts : 0);
    const sliceCount = new Map(slices.map((x) => [x.name, x.value]));
    sliceCountForLayout = slices.length;
    const layout = placeDonut();

    const shareOption: ChartOption = {
      ...baseOption(),
      tooltip: tooltip({
        trigger: 'item',
        formatter: (p: unknown) => {
          const { name, value, color } = p as { name: string; value: number; color: string };
          const row = rows.find((g) => g.genre === name);
          return tipTitle(name)
            + tipRow(color, 'Ratings', fmtInt(value))
            + tipRow(color, 'Of genre tags', pct(value))
            + (row ? tipRow(color, 'Of window ratings', fmtPct(row.share)) + tipRow(ratingColor(row.avg_rating), 'Avg rating', fmtRating(row.avg_rating)) : '');
        },
      }),
      legend: {
        orient: 'horizontal', left: 'center', bottom: 4, width: layout.legendWidth, itemWidth: 9, itemHeight: 9, itemGap: 10, icon: 'circle',
        textStyle: {
          color: C.text, fontSize: 11.5,
          rich: { n: { width: 72, color: C.text, fontSize: 11.5 }, p: { width: 38, align: 'right', color: C.muted, fontSize: 11.5 } },
        },
        formatter: (name: string) => `{n|${name}}{p|${pct(sliceCount.get(name) ?? 0)}}`,
      },
      series: [{
        type: 'pie', name: 'Genres', radius: layout.radius, center: layout.center,
        avoidLabelOverlap: true, label: { show: false }, labelLine: { show: false },
        itemStyle: { borderColor: C.card, borderWidth: 2, borderRadius: 4 },
        emphasis: { scale: true, scaleSize: 5 },
        data: slices,
      }],
    };
    share.set(shareOption, true);

    const byAvg = rows.filter((g) => g.avg_rating !== null).sort((a, b) => (b.avg_rating ?? 0) - (a.avg_rating ?? 0));
    const minAvg = Math.min(5, ...byAvg.map((g) => g.avg_rating ?? 5));
    const avgOption: ChartOption = {
      ...baseOption(),
      grid: { left: 8, right: 44, top: 4, bottom: 4, outerBoundsMode: 'same', outerBoundsContain: 'axisLabel' },
      tooltip: tooltip({
        trigger: 'item',
        formatter: (p: unknown) => {
          const g = byAvg[(p as { dataIndex: number }).dataIndex];
          return g ? tipTitle(g.genre) + tipRow(ratingColor(g.avg_rating), 'Avg rating', fmtRating(g.avg_rating)) + tipRow(genreColor(g.genre), 'Ratings', fmtInt(g.count)) : '';
        },
      }),
      xAxis: {
        type: 'value', min: Math.max(0, Math.floor(minAvg) - 1), max: 5, interval: 0.5,
        axisLabel: { ...axisLabel, formatter: (v: number) => v.toFixed(1), hideOverlap: true }, splitLine,
      },
      yAxis: {
        type: 'category', inverse: true, data: byAvg.map((g) => g.genre),
        axisLabel: { ...axisLabel, color: C.text, fontSize: 11, interval: 0 },
        axisLine: { show: false }, axisTick: { show: false },
      },
      series: [{
        type: 'bar', name: 'Avg rating', barMaxWidth: 14, barCategoryGap: '30%',
        data: byAvg.map((g) => ({ value: g.avg_rating ?? 0, itemStyle: { color: genreColor(g.genre), borderRadius: [0, 4, 4, 0] } })),
        label: { show: true, position: 'right', color: C.muted, fontSize: 11, formatter: (p: unknown) => fmtRating((p as { value: number }).value) },
      }],
    };
    avg.set(avgOption, true);
    for (const [el, empty] of [[shareEl, slices.length === 0], [avgEl, byAvg.length === 0]] as const) {
      const note = el.parentElement?.querySelector<HTMLElement>('.chart-note');
      if (note) {
        note.hidden = !empty;
        note.textContent = 'No ratings in this window yet';
      }
    }

    const maxShare = Math.max(0.0001, ...rows.map((g) => g.share));
    const trs = rows.map((g) => h('tr', null,
      h('td', { class: 'genre' }, h('span', { class: 'swatch', style: `--c:${genreColor(g.genre)}` }), g.genre),
      h('td', { class: 'num' }, fmtInt(g.count)),
      h('td', { class: 'num' }, h('span', { class: 'barcell' },
        h('span', { class: 'track' }, h('span', { class: 'fill', style: `--w:${(g.share / maxShare).toFixed(3)};--c:${genreColor(g.genre)}` })),
        h('span', { class: 'val' }, fmtPct(g.share)))),
      h('td', { class: 'num' }, h('span', { class: 'rating', style: `--r:${ratingColor(g.avg_rating)}` }, fmtRating(g.avg_rating))),
    ));
    if (trs.length === 0) trs.push(h('tr', { class: 'empty-row' }, h('td', { colspan: 4 }, 'No ratings in this window yet')));
    tbody.replaceChildren(...trs);
  };
}
