/** The open movie: rate it as the shown user, and its similar movies by every model, side by side. */
import { byId, byTestId, h, setText } from './dom.js';
import { fmtFixed, splitTitle } from './format.js';
import { movieButton } from './render-recommend-lists.js';
import { STARS, userRatingOf, type RecommendState } from './recommend-state.js';

export function createMoviePanel(onRate: (movieId: number, rating: number) => void, onMovie: (movieId: number, title: string | null) => void): (s: RecommendState) => void {
  const card = byId('movie-card');
  const heading = byTestId('movie-heading');
  const rateNote = byTestId('rate-note');
  const stars = byId('rate-stars');
  const lists = byTestId('similar-lists');
  let shownMovie: unknown = undefined;
  let shownVersion = -1;
  for (const star of STARS) {
    const button = h('button', { type: 'button', class: 'btn star', 'data-testid': `rate-${star}`, title: `rate it ${star} of 5` }, `★ ${star}`);
    button.addEventListener('click', () => {
      const movie = Number(card.dataset.movieId);
      if (Number.isInteger(movie) && movie > 0) onRate(movie, star);
    });
    stars.append(button);
  }
  return (s) => {
    const m = s.movie;
    card.hidden = m === null;
    if (!m) return;
    card.dataset.movieId = String(m.movieId);
    const title = m.title ?? `movie ${m.movieId}`;
    setText(heading, `${splitTitle(title).name} — similar movies`);
    const mine = userRatingOf(s, m.movieId);
    setText(rateNote, s.userId === null ? 'Look up a user to rate it as them.' : `Rate it as user ${s.userId}${mine !== null ? ` (rated ★${mine} now)` : ''}:`);
    for (const b of stars.querySelectorAll('button')) b.disabled = s.userId === null;
    if (m === shownMovie && s.version === shownVersion) return;
    shownMovie = m;
    shownVersion = s.version;
    lists.replaceChildren(...Object.entries(m.similar).map(([model, answer]) => h('div', { class: 'similar-list', 'data-testid': `similar-${model}` },
      h('div', { class: 'sub-head' }, model),
      'error' in answer
        ? h('p', { class: 'muted' }, answer.error)
        : answer.similar_movies.length === 0
          ? h('p', { class: 'muted' }, 'no similar movies by this model')
          : h('ol', { class: 'similar-items' }, ...answer.similar_movies.map((x) => h('li', null, movieButton(x.movie_id, x.title, onMovie), h('span', { class: 'sim' }, fmtFixed(x.similarity, 2))))))));
    if (m.loading && Object.keys(m.similar).length === 0) lists.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  };
}
