/**
 * The Recommendations page's state and rules: which user is shown, their view (ratings and every
 * model's list), what changed in it since the last view, the ratings sent from the page and not
 * yet seen back on the stream, the models' freshness, and the movie whose similar movies are
 * open. Pure data: no DOM, no fetch, no EventSource (recommend-main.ts does those).
 */
import type {
  ModelFreshness,
  RecommendPageHealth,
  RetrainStatus,
  SimilarResponse,
  UserStreamEvents,
  UserViewModel,
  UserViewResponse,
} from '../../src/recommend/serving/page-contract.js';

/** The user stream's state; `idle` while no user is shown. */
export type UserConnection = 'idle' | 'connecting' | 'live' | 'reconnecting';

/** A rating sent from the page, until it comes back on the stream (or fails). */
export interface SentRating {
  movieId: number;
  rating: number;
  /** Client clock (ms) when sent. */
  sentAt: number;
  state: 'sending' | 'accepted' | 'applied' | 'failed';
  message: string | null;
}

export interface MoviePanel {
  movieId: number;
  title: string | null;
  /** By model: its similar movies, or why it has none. */
  similar: Record<string, SimilarResponse | { error: string }>;
  loading: boolean;
}

export interface RecommendState {
  userId: number | null;
  view: UserViewResponse | null;
  /** Why the last look-up failed (shown instead of the view). */
  viewError: string | null;
  loading: boolean;
  /** Movie ids new in each model's list since the previous view of the same user. */
  changed: Record<string, Set<number>>;
  /** Client clock (ms) of the last view that changed a list, for the "updated" note. */
  changedAt: number | null;
  /** What brought the last view: a look-up, the user's ratings, new models. */
  cause: 'lookup' | 'ratings' | 'models' | null;
  connection: UserConnection;
  sent: SentRating[];
  health: RecommendPageHealth | null;
  /** Client clock (ms) when health arrived: ages move on from it. */
  healthAt: number | null;
  movie: MoviePanel | null;
  /** Bumped on every change; renderers compare it to skip work. */
  version: number;
}

/** Ratings a user can give from the page (whole stars; the API takes halves too). */
export const STARS = [1, 2, 3, 4, 5] as const;
/** How long a sent rating's outcome stays listed after it was applied. */
export const SENT_SHOW_MS = 20_000;

export function initialRecommendState(): RecommendState {
  return {
    userId: null, view: null, viewError: null, loading: false, changed: {}, changedAt: null, cause: null,
    connection: 'idle', sent: [], health: null, healthAt: null, movie: null, version: 0,
  };
}

/** A user id typed in the box: a whole number from 1 to 2³¹−1, or why not. */
export function parseUserId(text: string): { userId: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'Type a user id (a whole number, e.g. 1).' };
  if (!/^\d+$/.test(t)) return { error: `"${t}" is not a user id: use a whole number such as 1.` };
  const n = Number(t);
  if (n < 1 || n > 2_147_483_647) return { error: `User ids run from 1 to 2147483647; ${t} is outside.` };
  return { userId: n };
}

/** A new user is looked up: their old view, changes and sent ratings go. */
export function selectUser(s: RecommendState, userId: number): void {
  if (s.userId !== userId) {
    s.view = null;
    s.changed = {};
    s.changedAt = null;
    s.sent = [];
  }
  s.userId = userId;
  s.viewError = null;
  s.loading = true;
  s.version++;
}

/** The movies of `next` not in `prev` (same model), the ones the page highlights. */
export function newItems(prev: UserViewModel | undefined, next: UserViewModel): Set<number> {
  const before = new Set(prev?.recommendations.map((r) => r.movie_id) ?? []);
  return new Set(next.recommendations.map((r) => r.movie_id).filter((m) => !before.has(m)));
}

/** Whether two views list the same movies in the same order for every model. */
export function sameLists(a: UserViewResponse, b: UserViewResponse): boolean {
  if (a.models.length !== b.models.length) return false;
  return a.models.every((m, i) => {
    const o = b.models[i];
    return o !== undefined && o.model === m.model && o.version === m.version && o.recommendations.length === m.recommendations.length
      && m.recommendations.every((r, k) => r.movie_id === o.recommendations[k]?.movie_id);
  });
}

/**
 * A view arrived. A stale answer (another user by now) is dropped. For the same user, the
 * movies new in each list are marked (not on a first look-up), and sent ratings the view now
 * holds count as applied.
 */
export function applyView(s: RecommendState, view: UserViewResponse, cause: RecommendState['cause'], now: number): void {
  if (view.user_id !== s.userId) return;
  const prev = s.view?.user_id === view.user_id ? s.view : null;
  if (prev && !sameLists(prev, view)) {
    s.changed = Object.fromEntries(view.models.map((m) => [m.model, newItems(prev.models.find((p) => p.model === m.model), m)]));
    s.changedAt = now;
  } else if (!prev) {
    s.changed = {};
    s.changedAt = null;
  }
  s.cause = prev ? cause : 'lookup';
  const streamed = new Map(view.ratings.recent.filter((r) => r.streamed).map((r) => [r.movie_id, r.rating]));
  for (const sent of s.sent) {
    if ((sent.state === 'accepted' || sent.state === 'sending') && streamed.get(sent.movieId) === sent.rating) sent.state = 'applied';
  }
  s.view = view;
  s.viewError = null;
  s.loading = false;
  s.version++;
}

export function viewFailed(s: RecommendState, userId: number, message: string): void {
  if (userId !== s.userId) return;
  s.viewError = message;
  s.loading = false;
  s.version++;
}

/**
 * A stream event: whether the shown user's view must be fetched again (their ratings were
 * applied, or new models are served). Sent ratings the event carries count as applied.
 */
export function applyStreamEvent(s: RecommendState, event: { ratings: UserStreamEvents['ratings'] } | { models: UserStreamEvents['models'] }): boolean {
  if ('ratings' in event) {
    const e = event.ratings;
    if (e.user_id !== s.userId) return false;
    for (const r of e.ratings) {
      for (const sent of s.sent) if (sent.movieId === r.movie_id && sent.rating === r.rating && sent.state !== 'failed') sent.state = 'applied';
    }
    s.version++;
    return true;
  }
  return s.userId !== null;
}

export function setUserConnection(s: RecommendState, c: UserConnection): void {
  if (s.connection === c) return;
  s.connection = c;
  s.version++;
}

/** A rating is being sent from the page (a re-rating of the same movie replaces the earlier line). */
export function ratingSent(s: RecommendState, movieId: number, rating: number, now: number): SentRating {
  s.sent = s.sent.filter((r) => r.movieId !== movieId);
  const sent: SentRating = { movieId, rating, sentAt: now, state: 'sending', message: null };
  s.sent.unshift(sent);
  s.version++;
  return sent;
}

/** The events route answered: accepted (202), or refused with its message. */
export function ratingAnswered(s: RecommendState, sent: SentRating, ok: boolean, message: string | null): void {
  if (sent.state === 'sending') sent.state = ok ? 'accepted' : 'failed';
  sent.message = message;
  s.version++;
}

/** Sent ratings still worth listing: not applied, or applied less than SENT_SHOW_MS ago. */
export function visibleSent(s: RecommendState, now: number): SentRating[] {
  return s.sent.filter((r) => r.state !== 'applied' || now - r.sentAt < SENT_SHOW_MS);
}

/** One line for a sent rating. */
export function sentText(r: SentRating, title: string): string {
  const what = `${title} ★${r.rating}`;
  switch (r.state) {
    case 'sending': return `${what}: sending…`;
    case 'accepted': return `${what}: in the log, waiting for it on the stream…`;
    case 'applied': return `${what}: applied — the lists below include it`;
    case 'failed': return `${what}: not sent — ${r.message ?? 'the server refused it'}`;
  }
}

export function applyHealth(s: RecommendState, health: RecommendPageHealth, now: number): void {
  s.health = health;
  s.healthAt = now;
  s.version++;
}

/** A model's age now: its age at health time plus the time since. */
export function modelAge(f: ModelFreshness, healthAt: number, now: number): number {
  return f.age_seconds + Math.max(0, (now - healthAt) / 1000);
}

export interface FreshnessRow {
  model: string;
  version: string;
  isDefault: boolean;
  ageSeconds: number;
  dataset: string;
  notSeen: number | null;
}

/** The served models with their age and unseen ratings, the default first, then by name. */
export function freshnessRows(health: RecommendPageHealth | null, healthAt: number | null, now: number): FreshnessRow[] {
  if (!health || healthAt === null) return [];
  return Object.entries(health.freshness)
    .map(([model, f]) => ({ model, version: f.version, isDefault: model === health.default_model, ageSeconds: modelAge(f, healthAt, now), dataset: f.dataset, notSeen: f.ratings_not_seen }))
    .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
}

/** One line on the retrain schedule. */
export function retrainText(r: RetrainStatus | null, now: number): string {
  if (!r) return 'No retrain schedule: models change when someone runs `streamrec train` (or start `up`/`serve` with --retrain-every / --retrain-after).';
  const rules: string[] = [];
  if (r.every_seconds !== null) rules.push(`every ${durationText(r.every_seconds)}`);
  if (r.after_ratings !== null) rules.push(`after ${r.after_ratings.toLocaleString('en-US')} unseen ratings`);
  let text = `Retrains from the lake ${rules.join(' or ')}`;
  if (r.running) text += ` · running for ${durationText((now - Date.parse(r.running.started_at)) / 1000)}`;
  else if (r.next_at !== null) text += ` · next in ${durationText(Math.max(0, (Date.parse(r.next_at) - now) / 1000))}`;
  if (r.last) text += ` · last ${r.last.ok ? 'done' : 'failed'} ${durationText(Math.max(0, (now - Date.parse(r.last.finished_at ?? r.last.started_at)) / 1000))} ago${r.last.message ? `: ${r.last.message}` : ''}`;
  return text;
}

/** 42 → "42 s", 150 → "2m 30s", 7200 → "2h 00m". */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** A movie's similar movies are being fetched (by the models of the shown view, or the health's). */
export function openMovie(s: RecommendState, movieId: number, title: string | null): void {
  s.movie = { movieId, title, similar: {}, loading: true };
  s.version++;
}

export function applySimilar(s: RecommendState, movieId: number, model: string, answer: SimilarResponse | { error: string }): void {
  if (s.movie?.movieId !== movieId) return;
  s.movie.similar[model] = answer;
  s.version++;
}

export function similarDone(s: RecommendState, movieId: number): void {
  if (s.movie?.movieId !== movieId) return;
  s.movie.loading = false;
  s.version++;
}

/** The models to ask for similar movies: the shown view's, else every served one health names (not the popularity fallback). */
export function servedModels(s: RecommendState): string[] {
  if (s.view) return s.view.models.map((m) => m.model);
  return Object.keys(s.health?.freshness ?? {}).filter((m) => m !== 'popularity');
}

/** The title the page knows for a movie (from the view's lists or ratings), else null. */
export function knownTitle(s: RecommendState, movieId: number): string | null {
  const v = s.view;
  if (!v) return null;
  for (const r of v.ratings.recent) if (r.movie_id === movieId) return r.title;
  for (const m of v.models) for (const r of m.recommendations) if (r.movie_id === movieId) return r.title;
  return null;
}

/** The user's rating of a movie, when the view lists it. */
export function userRatingOf(s: RecommendState, movieId: number): number | null {
  return s.view?.ratings.recent.find((r) => r.movie_id === movieId)?.rating ?? null;
}
