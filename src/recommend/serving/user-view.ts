// What the Recommendations page shows of one user: their ratings (streamed ones newest first,
// then training ones best first) and each served model's list, every item with the user's rated
// movies the same model finds most similar to it — why it was recommended.
import type { Catalogue } from '../../movies/catalogue.js';
import type { Recommender, Scored, UserHistory } from '../models/recommender.js';
import type { BecauseItem, MovieRef, UserRating, UserViewModel, UserViewResponse } from './page-contract.js';
import type { StreamedRating } from './user-histories.js';

/** Neighbours of a recommended movie searched for the user's rated ones. */
export const EXPLAIN_NEIGHBOURS = 500;
/** Rated movies shown as the reason for one recommendation. */
export const EXPLAIN_TOP = 3;
/** Ratings listed. */
export const RECENT_RATINGS = 20;

/** One model's list for the user, as the service ranks it (its own rules: history, fallback). */
export interface RankedList {
  source: 'model' | 'fallback_popular';
  scored: Scored[];
  /** The predicted ratings of the listed movies, parallel to `scored`. */
  ratings(): ArrayLike<number>;
}

export interface UserViewInput {
  userId: number;
  history: UserHistory;
  inTrainingData: boolean;
  /** The user's streamed ratings, newest first. */
  streamed: readonly StreamedRating[];
  catalogue: Catalogue;
  /** The served models in preference order, with their versions; the default first or not. */
  models: readonly { name: string; version: string; model: Recommender }[];
  defaultModel: string;
  /** The list a model serves the user. */
  listOf(name: string, model: Recommender): RankedList;
  now?: Date;
}

export function buildUserView(input: UserViewInput): UserViewResponse {
  const { history, catalogue } = input;
  const rated = new Map<number, number>();
  for (let i = 0; i < history.movies.length; i++) rated.set(history.movies[i], history.ratings[i]);
  const models: UserViewModel[] = input.models.map(({ name, version, model }) => {
    const list = input.listOf(name, model);
    const ratings = list.ratings();
    return {
      model: name,
      version,
      default: name === input.defaultModel,
      source: list.source,
      recommendations: list.scored.map((s, i) => ({
        ...movieRef(catalogue, s.movieId),
        rank: i + 1,
        score: round(s.score, 4),
        predicted_rating: round(ratings[i], 4),
        because: list.source === 'model' ? because(model, s.movieId, rated, catalogue) : [],
      })),
    };
  });
  return {
    user_id: input.userId,
    in_training_data: input.inTrainingData,
    ratings: { count: rated.size, streamed: input.streamed.length, recent: recentRatings(history, input.streamed, catalogue) },
    models,
    default_model: input.defaultModel,
    timestamp: (input.now ?? new Date()).toISOString(),
  };
}

/**
 * The user's rated movies the model finds most similar to `movieId`: its `similar` list (the
 * nearest EXPLAIN_NEIGHBOURS) kept to the movies the user rated, by similarity (then movie id).
 */
export function because(model: Recommender, movieId: number, rated: ReadonlyMap<number, number>, catalogue: Catalogue, top = EXPLAIN_TOP): BecauseItem[] {
  if (rated.size === 0) return [];
  return model
    .similar(movieId, EXPLAIN_NEIGHBOURS)
    .filter((s) => rated.has(s.movieId) && s.score > 0)
    // The hybrid lists in its fusion order, not by similarity: sort for every model alike.
    .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
    .slice(0, top)
    .map((s) => ({ ...movieRef(catalogue, s.movieId), similarity: round(s.score, 4), rating: rated.get(s.movieId)! }));
}

/** Streamed ratings newest first, then the training ones (no time per user kept) best first, up to `limit`. */
export function recentRatings(history: UserHistory, streamed: readonly StreamedRating[], catalogue: Catalogue, limit = RECENT_RATINGS): UserRating[] {
  const out: UserRating[] = streamed.slice(0, limit).map((r) => ({
    ...movieRef(catalogue, r.movieId),
    rating: r.rating,
    rated_at: new Date(r.timestamp).toISOString(),
    streamed: true,
  }));
  if (out.length >= limit) return out;
  const fromStream = new Set(streamed.map((r) => r.movieId));
  const trained: { movieId: number; rating: number }[] = [];
  for (let i = 0; i < history.movies.length; i++) {
    if (!fromStream.has(history.movies[i])) trained.push({ movieId: history.movies[i], rating: history.ratings[i] });
  }
  trained.sort((a, b) => b.rating - a.rating || a.movieId - b.movieId);
  for (const t of trained.slice(0, limit - out.length)) out.push({ ...movieRef(catalogue, t.movieId), rating: t.rating, rated_at: null, streamed: false });
  return out;
}

function movieRef(catalogue: Catalogue, movieId: number): MovieRef {
  const m = catalogue.get(movieId);
  return { movie_id: movieId, title: m?.title ?? null, genres: m?.genres ?? [] };
}

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
