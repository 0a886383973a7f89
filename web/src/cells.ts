/** Table cells shared by the live dashboard and the analytics view (text only, via dom.ts). */
import { genreColor, ratingColor } from './colors.js';
import { h } from './dom.js';
import { fmtFixed, fmtRating, splitTitle } from './format.js';

/** Up to three genre chips, then "+N". */
export function genreChips(genres: readonly string[] | undefined, max = 3): HTMLElement {
  const list = genres ?? [];
  const wrap = h('div', { class: 'chips' });
  for (const g of list.slice(0, max)) wrap.append(h('span', { class: 'chip', style: `--chip:${genreColor(g)}` }, g));
  if (list.length > max) wrap.append(h('span', { class: 'chip chip-more', title: list.slice(max).join(', ') }, `+${list.length - max}`));
  return wrap;
}

/** "Name  1987": the title's name, with its year faint. */
export function titleCell(title: string): HTMLTableCellElement {
  const { name, year } = splitTitle(title);
  return h('td', { class: 'title' }, h('span', { class: 'name', title }, name), year ? h('span', { class: 'year' }, year) : null);
}

/** An average rating with a dot in its scale colour. */
export function ratingCell(avg: number | null): HTMLTableCellElement {
  return h('td', { class: 'num' }, h('span', { class: 'rating', style: `--r:${ratingColor(avg)}` }, fmtRating(avg)));
}

/** A value with a small bar of `value / max`. */
export function barCell(value: number, max: number, text = fmtFixed(value, 1), color?: string): HTMLTableCellElement {
  const w = max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
  return h('td', { class: 'num' }, h('span', { class: 'barcell' },
    h('span', { class: 'track' }, h('span', { class: 'fill', style: `--w:${w.toFixed(3)}${color ? `;--c:${color}` : ''}` })),
    h('span', { class: 'val' }, text)));
}

/** A table row spanning every column with a message, for an empty table. */
export function emptyRow(columns: number, text: string): HTMLTableRowElement {
  return h('tr', { class: 'empty-row' }, h('td', { colspan: columns }, text));
}
