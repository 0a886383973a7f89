/**
 * The Recommendations page: look a user up (the box, or `?user=` in the address), see their
 * ratings and every model's top 10 with why, open any movie for its similar movies and rate it
 * as the user (`POST /events/ratings`). One EventSource on the user's stream says when their
 * lists changed — their ratings applied from the log, or new model versions — and the view is
 * fetched again; health (models' age, unseen ratings, the retrain schedule) every few seconds.
 */
import './shared.js';
import { byId, byTestId, setText } from './dom.js';
import { fetchHealth, fetchSimilar, fetchUserView, postRating, RecommendApiError, userStreamUrl } from './recommend-api.js';
import {
  applyHealth, applySimilar, applyStreamEvent, applyView, initialRecommendState, knownTitle, openMovie, parseUserId, ratingAnswered,
  ratingSent, selectUser, servedModels, setUserConnection, similarDone, viewFailed, type RecommendState,
} from './recommend-state.js';
import { createModelLists } from './render-recommend-lists.js';
import { createModelsPanel } from './render-recommend-models.js';
import { createMoviePanel } from './render-recommend-movie.js';
import { createUserPanel } from './render-recommend-user.js';
import { connectEventStream, type StreamConnection } from './sse.js';
import type { UserStreamEvents } from '../../src/recommend/serving/page-contract.js';
import { renderScheduler, safe, type Renderer } from './render-loop.js';

const HEALTH_EVERY_MS = 5_000;
/** Stream events close together (a burst of ratings) make one fetch. */
const REFETCH_DEBOUNCE_MS = 150;

const errorText = (err: unknown): string => (err instanceof RecommendApiError || err instanceof Error ? err.message : String(err));

function start(): void {
  const state = initialRecommendState();
  const pill = byId('conn-pill');
  const connText = byTestId('connection-status');
  let stream: StreamConnection | null = null;
  let refetchTimer: number | undefined;
  let viewRequest = 0;

  const onMovie = (movieId: number, title: string | null): void => void showMovie(movieId, title);
  const renderers: Renderer<RecommendState>[] = [
    safe('user', createUserPanel(onMovie)),
    safe('lists', (s) => lists(s)),
    safe('models', createModelsPanel()),
    safe('movie', (s) => movie(s)),
    (s) => {
      setText(connText, s.connection);
      if (pill.dataset.state !== s.connection) pill.dataset.state = s.connection;
    },
  ];
  const lists = createModelLists(byTestId('model-lists'), onMovie);
  const movie = createMoviePanel((movieId, rating) => void rate(movieId, rating), onMovie);

  const render = (): void => {
    const now = Date.now();
    for (const r of renderers) r(state, now);
  };
  const schedule = renderScheduler(render, 30);

  async function loadView(cause: RecommendState['cause']): Promise<void> {
    const userId = state.userId;
    if (userId === null) return;
    const ticket = ++viewRequest;
    try {
      const view = await fetchUserView(userId);
      // A later request (or another user) wins over an earlier one that answered late.
      if (ticket === viewRequest) applyView(state, view, cause, Date.now());
    } catch (err) {
      if (ticket === viewRequest) viewFailed(state, userId, errorText(err));
    }
    schedule();
  }

  const refetchSoon = (cause: RecommendState['cause']): void => {
    window.clearTimeout(refetchTimer);
    refetchTimer = window.setTimeout(() => void loadView(cause), REFETCH_DEBOUNCE_MS);
  };

  function follow(userId: number): void {
    stream?.close();
    let hellos = 0;
    stream = connectEventStream<UserStreamEvents>(userStreamUrl(userId), {
      events: {
        // Every (re)connect says hello: after the first, something may have been missed.
        hello: () => {
          if (hellos++ > 0) refetchSoon('ratings');
        },
        ratings: (e) => {
          if (applyStreamEvent(state, { ratings: e })) refetchSoon('ratings');
          // Every model has one more rating it has not seen.
          void loadHealth();
          schedule();
        },
        models: (e) => {
          if (applyStreamEvent(state, { models: e })) refetchSoon('models');
          void loadHealth();
        },
      },
      status: (c) => {
        setUserConnection(state, c);
        schedule();
      },
    }, { silenceMs: 0 });
  }

  function lookUp(userId: number): void {
    selectUser(state, userId);
    const url = new URL(window.location.href);
    url.searchParams.set('user', String(userId));
    window.history.replaceState(null, '', url);
    follow(userId);
    schedule();
    void loadView('lookup');
  }

  async function rate(movieId: number, rating: number): Promise<void> {
    const userId = state.userId;
    if (userId === null) return;
    const sent = ratingSent(state, movieId, rating, Date.now());
    schedule();
    try {
      await postRating(userId, movieId, rating);
      ratingAnswered(state, sent, true, null);
    } catch (err) {
      ratingAnswered(state, sent, false, errorText(err));
    }
    schedule();
  }

  async function showMovie(movieId: number, title: string | null): Promise<void> {
    openMovie(state, movieId, title ?? knownTitle(state, movieId));
    schedule();
    byId('movie-card').scrollIntoView?.({ behavior: 'smooth', block: 'nearest' });
    await Promise.all(servedModels(state).map(async (model) => {
      try {
        applySimilar(state, movieId, model, await fetchSimilar(movieId, model));
      } catch (err) {
        applySimilar(state, movieId, model, { error: errorText(err) });
      }
      schedule();
    }));
    similarDone(state, movieId);
    schedule();
  }

  async function loadHealth(): Promise<void> {
    try {
      applyHealth(state, await fetchHealth(), Date.now());
    } catch {
      // the next round tries again; the table keeps the last figures
    }
    schedule();
  }

  const userForm = byId<HTMLFormElement>('user-form');
  const userInput = byTestId<HTMLInputElement>('user-input');
  userForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const parsed = parseUserId(userInput.value);
    if ('error' in parsed) {
      setText(byTestId('user-message'), parsed.error);
      byTestId('user-message').dataset.tone = 'bad';
      return;
    }
    lookUp(parsed.userId);
  });
  const movieForm = byId<HTMLFormElement>('movie-form');
  const movieInput = byTestId<HTMLInputElement>('movie-input');
  movieForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const parsed = parseUserId(movieInput.value);
    if ('error' in parsed) {
      setText(byTestId('user-message'), parsed.error.replace(/user id/g, 'movie id'));
      return;
    }
    void showMovie(parsed.userId, null);
  });

  const fromUrl = new URL(window.location.href).searchParams.get('user');
  if (fromUrl !== null) {
    const parsed = parseUserId(fromUrl);
    if ('userId' in parsed) {
      userInput.value = String(parsed.userId);
      lookUp(parsed.userId);
    }
  }
  void loadHealth();
  window.setInterval(() => void loadHealth(), HEALTH_EVERY_MS);
  window.setInterval(render, 1_000);
  render();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
