/**
 * Every model's list for the shown user, side by side: rank, title (a button that opens the
 * movie's similar movies), the model's score, and why — the user's rated movies the same model
 * finds most similar. Movies new since the previous view are highlighted.
 */
import { genreChips } from './cells.js';
import { h } from './dom.js';
import { fmtFixed, splitTitle } from './format.js';
import type { RecommendState } from './recommend-state.js';
import type { UserViewItem, UserViewModel } from '../../src/recommend/serving/page-contract.js';

/** A movie title as a button that opens the movie (its similar movies, rating it). */
export function movieButton(movieId: number, title: string | null, onMovie: (movieId: number, title: string | null) => void): HTMLButtonElement {
  const { name, year } = splitTitle(title ?? `movie ${movieId}`);
  const button = h('button', { type: 'button', class: 'movie-link', 'data-testid': 'movie-link', 'data-movie-id': movieId, title: `${title ?? `movie ${movieId}`}: similar movies, rate it` },
    h('span', { class: 'name' }, name), year ? h('span', { class: 'year' }, year) : null);
  button.addEventListener('click', () => onMovie(movieId, title));
  return button;
}

function becauseLine(item: UserViewItem): HTMLElement | null {
  if (item.because.length === 0) return null;
  const parts = item.because.map((b) => `${splitTitle(b.title ?? `movie ${b.movie_id}`).name} ★${b.rating} (${fmtFixed(b.similarity, 2)})`);
  return h('div', { class: 'because', 'data-testid': 'because' }, `because you rated ${parts.join(', ')}`);
}

function modelCard(m: UserViewModel, changed: Set<number> | undefined, onMovie: (movieId: number, title: string | null) => void): HTMLElement {
  const rows = m.recommendations.map((item) => h('tr', { 'data-testid': 'rec-row', 'data-movie-id': item.movie_id, class: changed?.has(item.movie_id) ? 'new' : null },
    h('td', { class: 'rank' }, item.rank),
    h('td', { class: 'title' }, movieButton(item.movie_id, item.title, onMovie), becauseLine(item), genreChips(item.genres, 2)),
    h('td', { class: 'num score', title: `predicted rating ${fmtFixed(item.predicted_rating, 2)}` }, fmtFixed(item.score, 3))));
  const note = m.source === 'fallback_popular' ? h('div', { class: 'caption warn' }, 'nothing of its own for this user: popular movies instead') : null;
  return h('article', { class: 'card panel model-list', 'data-testid': `list-${m.model}`, 'data-source': m.source },
    h('header', { class: 'panel-head' },
      h('div', null,
        h('h2', null, m.model, m.default ? h('span', { class: 'badge-default' }, 'default') : null),
        h('div', { class: 'caption', title: m.version }, m.version)),
      note),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
      h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'movie'), h('th', { class: 'num' }, 'score'))),
      h('tbody', null, ...rows))));
}

/** Renders into `container` (one card per model) when the view or its changes move on. */
export function createModelLists(container: HTMLElement, onMovie: (movieId: number, title: string | null) => void): (s: RecommendState) => void {
  let shown: unknown = undefined;
  let shownChanged: unknown = undefined;
  return (s) => {
    if (s.view === shown && s.changed === shownChanged) return;
    shown = s.view;
    shownChanged = s.changed;
    container.replaceChildren(...(s.view?.models ?? []).map((m) => modelCard(m, s.changed[m.model], onMovie)));
  };
}
