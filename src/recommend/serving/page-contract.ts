// The shapes the Recommendations page (web/src/recommend-*.ts) reads: a user's view, similar
// movies, each model's freshness, the retrain schedule's state and the per-user event stream.
// No imports, so the browser bundle's type check takes no server code; contract.ts builds the
// full API shapes on these.

/** A movie as the pages show it. */
export interface MovieRef {
  movie_id: number;
  /** null when the served dataset's catalogue does not list the movie. */
  title: string | null;
  genres: string[];
}

export interface SimilarItem extends MovieRef {
  /** In [0, 1], the same scale for every model: see Recommender.similar (models/recommender.ts). */
  similarity: number;
  rank: number;
}

export interface SimilarResponse {
  movie_id: number;
  similar_movies: SimilarItem[];
  timestamp: string;
  model_version: string;
}

/** One rating of the user's, as the page lists it. */
export interface UserRating extends MovieRef {
  rating: number;
  /** Event time (ISO-8601) of a rating that arrived on the stream; null for one from the training data (it keeps no time per user). */
  rated_at: string | null;
  /** Arrived on the stream after the served models' training data. */
  streamed: boolean;
}

/** A rated movie that explains a recommendation: one of the user's, similar to it by the same model. */
export interface BecauseItem extends MovieRef {
  /** The model's similarity of the recommended movie and this one (see SimilarItem). */
  similarity: number;
  /** The user's rating of it. */
  rating: number;
}

export interface UserViewItem extends MovieRef {
  rank: number;
  /** The model's ranking score (what it sorts by; a predicted rating for rating models). */
  score: number;
  predicted_rating: number;
  /** The user's rated movies most similar to this one by the model (best first; empty when none is among its neighbours). */
  because: BecauseItem[];
}

/** One model's list for the user. */
export interface UserViewModel {
  model: string;
  version: string;
  /** The model served by default. */
  default: boolean;
  /** `model`: the model's own list; `fallback_popular`: it had nothing for the user, popular movies instead. */
  source: 'model' | 'fallback_popular';
  recommendations: UserViewItem[];
}

/** GET /recommendations/users/{user_id}: what the page shows of one user. */
export interface UserViewResponse {
  user_id: number;
  /** In the served models' training data. */
  in_training_data: boolean;
  ratings: {
    /** Every rating the service scores the user from (training + streamed, a re-rating once). */
    count: number;
    streamed: number;
    /** Streamed ratings newest first, then training ratings best first (training data keeps no time per user). */
    recent: UserRating[];
  };
  models: UserViewModel[];
  default_model: string;
  timestamp: string;
}

/** How old a served model is and what it has not seen. */
export interface ModelFreshness {
  version: string;
  /** When the version was committed (ISO-8601). */
  trained_at: string;
  age_seconds: number;
  /** The dataset it was trained on. */
  dataset: string;
  /**
   * Ratings that arrived on the stream after the newest rating of its training data (as far as
   * this server has followed the stream); null when it was trained on data no longer served.
   */
  ratings_not_seen: number | null;
}

/** One scheduled retrain: when, why, and how it ended. */
export interface RetrainRun {
  reason: 'schedule' | 'ratings';
  started_at: string;
  finished_at: string | null;
  seconds: number | null;
  ok: boolean | null;
  /** What it did (e.g. "als trained → 2025-…; popularity skipped"), or why it failed. */
  message: string | null;
}

/** The retrain schedule of `up` / `serve` (`--retrain-every`, `--retrain-after`). */
export interface RetrainStatus {
  every_seconds: number | null;
  after_ratings: number | null;
  /** The models each retrain trains (empty: the ones the registry holds, else train's default). */
  models: string[];
  running: RetrainRun | null;
  last: RetrainRun | null;
  runs: number;
  failures: number;
  /** When the schedule next starts one (null without --retrain-every). */
  next_at: string | null;
  /** Ratings the served models have not seen, as the `--retrain-after` rule counts them (null before the first look). */
  pending_ratings: number | null;
}

/** What the page reads of GET /recommendations/health. */
export interface RecommendPageHealth {
  status: 'healthy' | 'no_model';
  default_model: string | null;
  models: Record<string, string>;
  freshness: Record<string, ModelFreshness>;
  retrain: RetrainStatus | null;
  timestamp: string;
}

/** GET /recommendations/users/{user_id}/stream: the events, by name. */
export interface UserStreamEvents {
  /** At connect: where the user's ratings stand. */
  hello: { user_id: number; ratings: number; model_versions: Record<string, string> };
  /** Ratings of the user's arrived on the stream and were applied: their lists changed. */
  ratings: { user_id: number; ratings: { movie_id: number; rating: number; timestamp: number }[] };
  /** New model versions are served: every list may have changed. */
  models: { model_versions: Record<string, string> };
}
