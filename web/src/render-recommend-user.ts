/** The shown user: who, how many ratings, their recent ones, and the ratings sent from this page with what became of them. */
import { emptyRow, genreChips } from './cells.js';
import { byId, byTestId, h, setText } from './dom.js';
import { fmtInt, fmtTime } from './format.js';
import { movieButton } from './render-recommend-lists.js';
import { knownTitle, sentText, visibleSent, type RecommendState } from './recommend-state.js';

export function createUserPanel(onMovie: (movieId: number, title: string | null) => void): (s: RecommendState, now: number) => void {
  const heading = byTestId('user-heading');
  const meta = byTestId('user-meta');
  const body = byId('user-ratings-body');
  const sentList = byTestId('sent-ratings');
  const message = byTestId('user-message');
  let shownView: unknown = undefined;
  return (s, now) => {
    document.body.classList.toggle('no-user', s.view === null);
    setText(message, s.viewError ?? (s.loading && s.view === null ? `Looking up user ${s.userId}…` : ''));
    message.dataset.tone = s.viewError ? 'bad' : 'info';
    const v = s.view;
    if (v !== shownView) {
      shownView = v;
      setText(heading, v ? `User ${v.user_id}` : 'User');
      setText(meta, v
        ? `${fmtInt(v.ratings.count)} ratings · ${fmtInt(v.ratings.streamed)} streamed since training · ${v.in_training_data ? 'in the training data' : 'not in the training data (a new user)'}`
        : '');
      const rows = (v?.ratings.recent ?? []).map((r) => h('tr', { 'data-testid': 'user-rating', 'data-movie-id': r.movie_id, class: r.streamed ? 'streamed' : null },
        h('td', { class: 'title' }, movieButton(r.movie_id, r.title, onMovie), genreChips(r.genres, 2)),
        h('td', { class: 'num' }, `★${r.rating}`),
        h('td', { class: 'when' }, r.rated_at ? fmtTime(r.rated_at) : 'training data')));
      body.replaceChildren(...(rows.length > 0 ? rows : [emptyRow(3, 'No ratings yet: rate a movie below and watch the lists change.')]));
    }
    const sent = visibleSent(s, now);
    sentList.hidden = sent.length === 0;
    sentList.replaceChildren(...sent.map((r) => h('li', { 'data-state': r.state }, sentText(r, knownTitle(s, r.movieId) ?? `movie ${r.movieId}`))));
  };
}
