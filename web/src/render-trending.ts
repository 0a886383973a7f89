/** Trending movies: those rising in (or entering) the ranking of the latest window, best rank first. */
import type { TrendingResult, TrendingRow } from '../../src/analytics/analytics-contract.js';
import { barCell, emptyRow, genreChips, ratingCell, titleCell } from './cells.js';
import { C } from './colors.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtDuration, fmtFixed, fmtInt, fmtUtcShort } from './format.js';

/** ▲N (rose N places), NEW (not rated in the window before), ▼N or "–". */
function changeCell(r: TrendingRow): HTMLTableCellElement {
  if (r.is_new) return h('td', { class: 'change' }, h('span', { class: 'badge-new', title: 'Not rated in the window before' }, 'NEW'));
  const d = r.rank_delta;
  if (d > 0) return h('td', { class: 'change' }, h('span', { class: 'delta up', title: `Up ${d} place${d === 1 ? '' : 's'}, from #${r.previous_rank ?? '?'}` }, `▲${fmtInt(d)}`));
  if (d < 0) return h('td', { class: 'change' }, h('span', { class: 'delta down', title: `Down ${-d} places, from #${r.previous_rank ?? '?'}` }, `▼${fmtInt(-d)}`));
  return h('td', { class: 'change' }, h('span', { class: 'delta flat' }, '–'));
}

/** A window's length: "24 h", "90 min", else as fmtDuration. */
function spanText(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${fmtInt(ms / 3_600_000)} h`;
  if (ms > 0 && ms % 60_000 === 0) return `${fmtInt(ms / 60_000)} min`;
  return fmtDuration(ms / 1000);
}

export interface TrendingView {
  show(r: TrendingResult): void;
  fail(message: string): void;
}

export function createTrending(): TrendingView {
  const table = byTestId<HTMLTableElement>('analytics-trending-table');
  const tbody = table.tBodies[0] ?? table.createTBody();
  const caption = byId('trending-caption');
  const columns = table.tHead?.rows[0]?.cells.length ?? 8;

  return {
    show(r) {
      const rows = Array.isArray(r.rows) ? r.rows : [];
      const newOnes = rows.filter((x) => x.is_new).length;
      if (r.window_start && r.window_end) {
        const len = Date.parse(r.window_end) - Date.parse(r.window_start);
        setText(caption, `Window ${fmtUtcShort(r.window_start)} → ${fmtUtcShort(r.window_end)} UTC against the ${spanText(len)} before · ${fmtInt(rows.length)} movies shown${newOnes > 0 ? `, ${fmtInt(newOnes)} new` : ''}`);
      } else {
        setText(caption, 'No ratings analysed, so no window to compare');
      }
      const maxCount = Math.max(1, ...rows.map((x) => x.rating_count));
      const trs = rows.map((x) => h('tr', { 'data-new': x.is_new ? 'true' : null },
        h('td', { class: x.rank <= 3 ? 'rank podium' : 'rank' }, String(x.rank)),
        changeCell(x),
        titleCell(x.title),
        h('td', { class: 'genres' }, genreChips(x.genres)),
        barCell(x.rating_count, maxCount, fmtInt(x.rating_count), C.cyan),
        h('td', { class: 'num before', title: x.previous_rank === null ? 'No ratings in the window before' : `#${x.previous_rank} with ${fmtInt(x.previous_count)} ratings (score ${fmtFixed(x.previous_score, 1)})` },
          x.previous_rank === null ? '—' : h('span', null, fmtInt(x.previous_count), h('span', { class: 'was' }, `#${x.previous_rank}`))),
        ratingCell(x.avg_rating),
        h('td', { class: 'num' }, fmtFixed(x.score, 1)),
      ));
      if (trs.length === 0) trs.push(emptyRow(columns, 'No movie rose in the latest window'));
      tbody.replaceChildren(...trs);
    },
    fail(message) {
      setText(caption, 'Could not load the trending movies');
      tbody.replaceChildren(emptyRow(columns, message));
    },
  };
}
