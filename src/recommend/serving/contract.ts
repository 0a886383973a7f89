// The response shapes of /recommendations/*: the old Python API's fields (user_id,
// recommendations, predicted_rating, rank, timestamp, model_version, source …), kept so its
// clients keep working, plus health and service info.

import type { ServingModelName } from '../models/model-kinds.js';
import type { RecommendPageHealth } from './page-contract.js';

export type * from './page-contract.js';

/** The models a client may ask for by name, in preference order of the default: from the model-kinds table. */
export { SERVING_MODELS, type ServingModelName } from '../models/model-kinds.js';

export type RecommendationSource = 'model' | 'cache' | 'fallback_popular';

export interface RecommendationItem {
  movie_id: number;
  /** null when the dataset's catalogue does not list the movie. */
  title: string | null;
  genres: string[];
  predicted_rating: number;
  rank: number;
}

export interface RecommendResponse {
  user_id: number;
  recommendations: RecommendationItem[];
  timestamp: string;
  model_version: string;
  source: RecommendationSource;
}

export interface PredictResponse {
  user_id: number;
  movie_id: number;
  title: string | null;
  genres: string[];
  predicted_rating: number;
  timestamp: string;
  model_version: string;
}

export interface CacheStatsResponse {
  size: number;
  max_size: number;
  hits: number;
  misses: number;
  hit_rate: number | null;
  ttl_seconds: number;
  ttl_hours: number;
}

export interface RecommendHealthResponse extends RecommendPageHealth {
  status: 'healthy' | 'no_model';
  model_loaded: boolean;
  /** The default model's version (null before a model is loaded). */
  model_version: string | null;
  default_model: ServingModelName | null;
  /** Every loaded model (and the popularity fallback) with its version. */
  models: Record<string, string>;
  cache_stats: CacheStatsResponse;
  online: {
    /** Reading the ratings topic without error. */
    following: boolean;
    /** Still reading what the topic held when the server started (it reads from the earliest offset). */
    catching_up: boolean;
    ratings_applied: number;
    /** Streamed ratings not newer than the dataset's newest rating: the training data holds them. */
    ratings_already_in_dataset: number;
    users_with_new_ratings: number;
    consumer_lag: number | null;
    /** Why following fails, while it does. */
    last_error: string | null;
  };
  last_reload: { at: string | null; error: string | null; notes: string[] };
  timestamp: string;
}


export interface ServiceInfoResponse {
  service: string;
  description: string;
  models_available: ServingModelName[];
  default_model: ServingModelName | null;
  model_versions: Record<string, string>;
  dataset: { name: string; ratings: number; users: number; movies: number } | null;
  /** The users of the training data (ids), for clients choosing known users (the simulator). */
  users: { min: number; max: number; count: number } | null;
  genres: string[];
  endpoints: { method: string; path: string; description: string }[];
  timestamp: string;
}
