// The recommendation service behind /recommendations/*: answers from the current model set,
// caches answers, falls back to popular movies, reloads when training switches `latest`
// (load beside, then swap one reference), and applies streamed ratings as they arrive.
import type { EventLog } from '../../log/types.js';
import type { Rating } from '../../movies/rating-event.js';
import type { Movie } from '../../movies/movie.js';
import { modelKind, SERVING_MODELS, type ModelName, type ServingModelName } from '../models/model-kinds.js';
import { clamp, predictions, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../models/recommender.js';
import { ModelRegistry } from '../registry/registry.js';
import type {
  PredictResponse,
  RecommendationItem,
  RecommendationSource,
  RecommendHealthResponse,
  RetrainStatus,
  ServiceInfoResponse,
  SimilarItem,
  SimilarResponse,
  UserViewResponse,
} from './contract.js';
import { describeFailures, latestVersions, loadModelSet, NoModelError, sameVersions, type LoadFailure, type ModelSet } from './model-set.js';
import { modelFreshness, mostUnseen } from './model-freshness.js';
import { RatingsFollower } from './ratings-follower.js';
import { RecommendationCache, type CacheOptions } from './recommendation-cache.js';
import { RecommendError } from './request-errors.js';
import { RatingsOverlay, UserHistories, type StreamedRating } from './user-histories.js';
import { buildUserView, type RankedList } from './user-view.js';

export const NO_MODEL_MESSAGE =
  'no recommendation model loaded: run `streamrec train --from-lake` (on the ratings the stream has seen) or `streamrec train --data <MovieLens dir>`; the server picks a new model up within a second';

export { RecommendError, type RecommendErrorCode } from './request-errors.js';

export interface ServiceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RecommendationServiceOptions {
  dataDir: string;
  /** The log to follow `ratings` on; without it there are no online updates. */
  log?: EventLog;
  cache?: CacheOptions;
  /** How often the registry's `latest` pointers are checked (default 1000 ms; 0: never, reload by hand). */
  pollEveryMs?: number;
  /** Streamed ratings kept in memory (default 1,000,000). */
  maxOverlayRatings?: number;
  logger?: ServiceLogger;
}

export interface RecommendRequest {
  n: number;
  model?: string;
  genre?: string;
  /** Movie ids never to return. */
  exclude?: readonly number[];
  /** Default true. */
  useCache?: boolean;
}

/** An answer before its timestamp: what the cache holds and the route serialises. */
export interface RecommendOutcome {
  userId: number;
  items: RecommendationItem[];
  /** `items` as JSON, serialised once per computed answer. */
  itemsJson: string;
  modelVersion: string;
  source: RecommendationSource;
}

interface CachedAnswer {
  items: RecommendationItem[];
  itemsJson: string;
  modelVersion: string;
}

/**
 * What changed for the service's listeners (the per-user event streams): a user's ratings
 * applied (their lists changed), or a new model set swapped in (everyone's may have).
 */
export type ServiceUpdate =
  | { type: 'ratings'; userId: number; ratings: StreamedRating[] }
  | { type: 'models'; versions: Partial<Record<ModelName, string>> };

/** A model set with the histories view over it: swapped together, as one reference. */
interface Serving {
  set: ModelSet;
  histories: UserHistories;
}

export interface ReloadResult {
  loaded: boolean;
  /** Whether the served set changed. */
  swapped: boolean;
  versions: Partial<Record<ModelName, string>>;
  error?: string;
  notes: string[];
  /** Models whose latest version failed to load (the others were loaded and swapped in). */
  failures: LoadFailure[];
}

export class RecommendationService {
  readonly registry: ModelRegistry;
  readonly cache: RecommendationCache<CachedAnswer>;
  readonly overlay: RatingsOverlay;
  private serving: Serving | null = null;
  private follower: RatingsFollower | null = null;
  private poller: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private reloading = false;
  /** The `latest` versions seen when the last reload started: the poller reloads when they move. */
  private attempted: Partial<Record<ModelName, string>> | null = null;
  private lastReload: { at: string | null; error: string | null; notes: string[] } = { at: null, error: null, notes: [] };
  private closed = false;
  /** Streamed ratings dropped because the served dataset already holds them (not newer than its newest rating). */
  private alreadyInDataset = 0;
  /** Data fingerprint → its newest rating's time, for every dataset served: what a model has not seen is counted from it. */
  private readonly newestRating = new Map<string, number>();
  private readonly listeners = new Set<(update: ServiceUpdate) => void>();
  private retrainStatus: (() => RetrainStatus) | null = null;

  constructor(private readonly options: RecommendationServiceOptions) {
    this.registry = new ModelRegistry(options.dataDir);
    this.cache = new RecommendationCache(options.cache);
    this.overlay = new RatingsOverlay(options.maxOverlayRatings);
  }

  /** Loads the models there are (none is fine: routes answer 503 until one is trained), then watches for new ones. */
  async start(): Promise<void> {
    await this.reload();
    const every = this.options.pollEveryMs ?? 1000;
    if (every > 0) {
      this.poller = setInterval(() => this.poll(), every);
      this.poller.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    await this.queue.catch(() => {});
    await this.follower?.stop();
  }

  get modelSet(): ModelSet | null {
    return this.serving?.set ?? null;
  }

  /**
   * Loads the latest version of every model beside the served set, then swaps it in. A failure
   * keeps the served set and is reported (here and in health). Reloads run one at a time.
   */
  reload(): Promise<ReloadResult> {
    const next = this.queue.then(() => this.reloadNow());
    this.queue = next.catch(() => {});
    return next;
  }

  private poll(): void {
    if (this.reloading || this.closed) return;
    let current: Partial<Record<ModelName, string>>;
    try {
      current = latestVersions(this.registry);
    } catch {
      return; // a pointer being replaced or an unreadable dir: the next poll will see
    }
    if (this.attempted && sameVersions(current, this.attempted)) return;
    void this.reload();
  }

  private async reloadNow(): Promise<ReloadResult> {
    this.reloading = true;
    const previous = this.serving;
    try {
      this.attempted = latestVersions(this.registry);
      const set = await loadModelSet(this.registry, this.options.dataDir, previous?.set ?? null);
      if (this.closed) return { loaded: false, swapped: false, versions: previous?.set.versions ?? {}, notes: [], failures: [] };
      const error = set.failures.length > 0 ? `loading the models failed: ${describeFailures(set.failures)}` : null;
      if (error !== null) this.options.logger?.error({ failures: set.failures }, 'some models failed to load: serving the others');
      if (previous && set.data === previous.set.data && sameVersions(set.versions, previous.set.versions)) {
        // Nothing changed (e.g. a reload by hand, or only failures): keep the set and its cached answers.
        this.lastReload = { at: new Date().toISOString(), error, notes: set.notes };
        return { loaded: true, swapped: false, versions: previous.set.versions, notes: set.notes, failures: set.failures, ...(error ? { error } : {}) };
      }
      // A popularity instance new to service has not seen what streamed in since its dataset was taken.
      const streamed = this.overlay.since(set.data.histories.maxTimestamp);
      for (const popularity of set.streamedPopularity) {
        if (previous?.set.streamedPopularity.includes(popularity)) continue;
        for (const r of streamed) popularity.add(r.movieId, r.rating, r.timestamp);
      }
      this.serving = { set, histories: new UserHistories(set.data.histories, this.overlay) };
      this.newestRating.set(set.data.fingerprint, set.data.histories.maxTimestamp);
      this.cache.clear();
      this.lastReload = { at: set.loadedAt, error, notes: set.notes };
      this.options.logger?.info({ versions: set.versions, notes: set.notes }, 'recommendation models loaded');
      this.startFollowing();
      this.emit({ type: 'models', versions: { ...set.versions } });
      return { loaded: true, swapped: true, versions: set.versions, notes: set.notes, failures: set.failures, ...(error ? { error } : {}) };
    } catch (err) {
      const message = err instanceof NoModelError ? (previous ? 'no recommendation model in the registry any more: still serving the models loaded before' : NO_MODEL_MESSAGE) : `loading the models failed: ${(err as Error).message}`;
      this.lastReload = { at: new Date().toISOString(), error: message, notes: [] };
      if (!(err instanceof NoModelError)) this.options.logger?.error({ err }, previous ? 'model reload failed: still serving the previous models' : 'model load failed');
      return { loaded: false, swapped: false, versions: previous?.set.versions ?? {}, error: message, notes: [], failures: [] };
    } finally {
      this.reloading = false;
    }
  }

  /** Online updates start with the first model set: before it there is nothing to update. */
  private startFollowing(): void {
    if (this.follower || !this.options.log || this.closed) return;
    this.follower = new RatingsFollower({
      log: this.options.log,
      onRatings: (ratings) => this.applyRatings(ratings),
      onError: (err) => this.options.logger?.warn({ err }, 'reading the ratings topic failed; retrying'),
    });
    this.follower.start();
  }

  /**
   * Applies streamed ratings newer than the served dataset's newest one (the older ones are in the
   * training data already): the users' histories, the popularity counts, their cached answers.
   */
  applyRatings(ratings: readonly Rating[]): void {
    const set = this.serving?.set;
    if (!set) return;
    const after = set.data.histories.maxTimestamp;
    const byUser = this.listeners.size > 0 ? new Map<number, StreamedRating[]>() : null;
    for (const r of ratings) {
      if (!(r.timestamp > after)) {
        this.alreadyInDataset++;
        continue;
      }
      this.overlay.add(r);
      for (const popularity of set.streamedPopularity) popularity.add(r.movieId, r.rating, r.timestamp);
      // Every model scores from the history at question time (UserHistories marks it fresh, so
      // factor models fold it in): dropping the user's cached answers is all a rating needs.
      this.cache.invalidateUser(r.userId);
      if (byUser) {
        let list = byUser.get(r.userId);
        if (!list) byUser.set(r.userId, (list = []));
        list.push(r);
      }
    }
    if (byUser) for (const [userId, list] of byUser) this.emit({ type: 'ratings', userId, ratings: list });
  }

  /** Hears every applied rating (by user) and model swap; returns the unsubscribe. A listener that throws is ignored. */
  onUpdate(listener: (update: ServiceUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(update: ServiceUpdate): void {
    for (const listener of this.listeners) {
      try {
        listener(update);
      } catch (err) {
        this.options.logger?.warn({ err }, 'a recommendation update listener failed');
      }
    }
  }

  /** Where health reads the retrain schedule's state from (`up` / `serve` with --retrain-every / --retrain-after). */
  attachRetrain(status: (() => RetrainStatus) | null): void {
    this.retrainStatus = status;
  }

  /** A reload is running or due (the registry's `latest` moved past what was loaded): a retrain waits for it. */
  get reloadPending(): boolean {
    if (this.reloading) return true;
    try {
      return this.attempted === null || !sameVersions(latestVersions(this.registry), this.attempted);
    } catch {
      return true;
    }
  }

  /** The most streamed ratings any served model has not seen; null with no model served. */
  unseenRatings(): number | null {
    return mostUnseen(this.freshness());
  }

  private freshness(): RecommendHealthResponse['freshness'] {
    const set = this.serving?.set;
    if (!set) return {};
    return modelFreshness({
      versions: set.versions,
      metadata: set.metadata,
      newestRating: this.newestRating,
      streamedAfter: (ms) => this.overlay.countSince(ms),
      now: Date.now(),
    });
  }

  recommend(userId: number, request: RecommendRequest): RecommendOutcome {
    const { set, histories } = this.requireServing();
    const modelName = this.modelFor(set, request.model);
    const model = set.models.get(modelName)!;
    const version = set.versions[modelName]!;
    const n = requireCount(request.n, 'querystring/n');
    const genre = request.genre === undefined ? undefined : this.genreOf(set, request.genre);
    const exclude = request.exclude && request.exclude.length > 0 ? [...new Set(request.exclude)].sort((a, b) => a - b) : [];
    const useCache = request.useCache !== false;
    const key = useCache ? RecommendationCache.key({ model: modelName, version, userId, n, genre: genre?.name, exclude }) : '';
    if (useCache) {
      const hit = this.cache.get(key);
      if (hit) return { userId, ...hit, source: 'cache' };
    }

    const history = histories.get(userId);
    const list = this.rank(set, modelName, model, history, n, genre, exclude.length > 0 ? new Set(exclude) : null);
    const items = this.items(set, list.scored, list.ratings());
    const answer: CachedAnswer = { items, itemsJson: JSON.stringify(items), modelVersion: version };
    if (useCache) this.cache.set(key, userId, answer);
    const source: RecommendationSource = list.source;
    return { userId, ...answer, source };
  }

  /**
   * A model's list for a user: its own when it has one (a history, or a user it was trained on),
   * else popular movies the user has not rated.
   */
  private rank(set: ModelSet, modelName: ServingModelName, model: Recommender, history: UserHistory, n: number, genre?: { name: string; movies: Int32Array }, excluded?: Set<number> | null): RankedList {
    const options: RecommendOptions = {};
    if (excluded) options.exclude = (m) => excluded.has(m);
    if (genre) options.candidates = genre.movies;
    if (history.movies.length > 0 || model.knowsUser(history.userId)) {
      const scored = model.recommend(history, n, options);
      // A kind whose ranking score is a predicted rating needs no second predict per item.
      const scoreIsRating = modelKind(modelName).scoreIsRating;
      if (scored.length > 0) {
        const ratings = () => (scoreIsRating ? scored.map((s) => clamp(s.score, model.scale)) : predictions(model, history, scored.map((s) => s.movieId)));
        return { source: 'model', scored, ratings };
      }
    }
    const seen = history.movies.length > 0 ? new Set(history.movies) : null;
    const skip = seen || excluded ? (m: number) => (seen?.has(m) ?? false) || (excluded?.has(m) ?? false) : undefined;
    // The most popular by count; their predicted rating the Bayesian average.
    const popular = set.popularity.mostPopular(n, genre?.name, skip);
    return { source: 'fallback_popular', scored: popular, ratings: () => predictions(set.popularity, history, popular.map((s) => s.movieId)) };
  }

  /** What the Recommendations page shows of a user: their ratings, every model's top n with why (never cached). */
  userView(userId: number, n: number): UserViewResponse {
    const { set, histories } = this.requireServing();
    const history = histories.get(userId);
    const models = SERVING_MODELS.filter((m) => set.models.has(m)).map((name) => ({ name, version: set.versions[name]!, model: set.models.get(name)! }));
    return buildUserView({
      userId,
      history,
      inTrainingData: set.data.histories.users.index(userId) >= 0,
      streamed: this.overlay.streamedOf(userId),
      catalogue: set.data.catalogue,
      models,
      defaultModel: set.defaultModel,
      listOf: (name, model) => this.rank(set, name as ServingModelName, model, history, n),
    });
  }

  predict(userId: number, movieId: number, modelName?: string): PredictResponse {
    const { set, histories } = this.requireServing();
    const name = modelName === undefined ? set.defaultRatingModel : this.modelFor(set, modelName, 'body');
    const model = set.models.get(name)!;
    const movie = this.movieOf(set, model, movieId);
    return {
      user_id: userId,
      movie_id: movieId,
      title: movie?.title ?? null,
      genres: movie?.genres ?? [],
      predicted_rating: round(model.predict(histories.get(userId), movieId), 4),
      timestamp: new Date().toISOString(),
      model_version: set.versions[name]!,
    };
  }

  similar(movieId: number, n: number, modelName?: string): SimilarResponse {
    const { set } = this.requireServing();
    const name = this.modelFor(set, modelName);
    const model = set.models.get(name)!;
    this.movieOf(set, model, movieId);
    const similar: SimilarItem[] = model.similar(movieId, requireCount(n, 'querystring/n')).map((s, i) => {
      const m = set.data.catalogue.get(s.movieId);
      return { movie_id: s.movieId, title: m?.title ?? null, genres: m?.genres ?? [], similarity: round(s.score, 4), rank: i + 1 };
    });
    return { movie_id: movieId, similar_movies: similar, timestamp: new Date().toISOString(), model_version: set.versions[name]! };
  }

  health(): RecommendHealthResponse {
    const set = this.serving?.set ?? null;
    const cache = this.cache.stats();
    const lookups = cache.hits + cache.misses;
    return {
      status: set ? 'healthy' : 'no_model',
      model_loaded: set !== null,
      model_version: set ? set.versions[set.defaultModel]! : null,
      default_model: set?.defaultModel ?? null,
      models: { ...(set?.versions ?? {}) } as Record<string, string>,
      cache_stats: {
        size: cache.size,
        max_size: cache.max,
        hits: cache.hits,
        misses: cache.misses,
        hit_rate: lookups > 0 ? round(cache.hits / lookups, 4) : null,
        ttl_seconds: cache.ttlMs / 1000,
        ttl_hours: round(cache.ttlMs / 3_600_000, 4),
      },
      online: {
        following: this.follower?.stats.following ?? false,
        catching_up: this.follower?.stats.catchingUp ?? false,
        ratings_applied: this.overlay.applied,
        ratings_already_in_dataset: this.alreadyInDataset,
        users_with_new_ratings: this.overlay.userCount,
        consumer_lag: this.follower?.stats.lag ?? null,
        last_error: this.follower?.stats.lastError ?? null,
      },
      last_reload: { ...this.lastReload },
      freshness: this.freshness(),
      retrain: this.retrainStatus?.() ?? null,
      timestamp: new Date().toISOString(),
    };
  }

  info(): ServiceInfoResponse {
    const set = this.serving?.set ?? null;
    const users = set?.data.histories.users;
    return {
      service: 'streamrec recommendations',
      description: 'Top-N recommendations, rating predictions and similar movies from the models in the registry, with a popularity fallback for unknown users and online updates from the ratings stream.',
      models_available: set ? SERVING_MODELS.filter((m) => set.models.has(m)) : [],
      default_model: set?.defaultModel ?? null,
      model_versions: { ...(set?.versions ?? {}) } as Record<string, string>,
      dataset: set
        ? { name: set.data.name, ratings: set.data.histories.ratingCount, users: set.data.histories.size, movies: set.data.ratedMovies }
        : null,
      users: users && users.size > 0 ? { min: users.ids[0], max: users.ids[users.size - 1], count: users.size } : null,
      genres: set ? [...set.data.genres.values()].map((g) => g.name).sort() : [],
      endpoints: [
        { method: 'GET', path: '/recommendations/recommend/{user_id}', description: 'top-N movies for a user (n, use_cache, model, genre, exclude)' },
        { method: 'POST', path: '/recommendations/predict', description: 'predicted rating of a movie for a user ({user_id, movie_id})' },
        { method: 'GET', path: '/recommendations/similar/{movie_id}', description: 'movies similar to a movie (n, model)' },
        { method: 'GET', path: '/recommendations/health', description: 'models loaded (with their age and the streamed ratings they have not seen), cache, online updates, the retrain schedule' },
        { method: 'GET', path: '/recommendations/users/{user_id}', description: 'a user\'s ratings and every model\'s top-N with the rated movies that explain each (n)' },
        { method: 'GET', path: '/recommendations/users/{user_id}/stream', description: 'Server-Sent Events: the user\'s ratings as they are applied, new model versions' },
        { method: 'POST', path: '/recommendations/reload', description: 'load the latest models now (bearer token when STREAMREC_ADMIN_TOKEN is set)' },
      ],
      timestamp: new Date().toISOString(),
    };
  }

  /** One line for a status message: what is served, or how to get a model. */
  summary(): string {
    const set = this.serving?.set;
    if (!set) return `recommendations: ${this.lastReload.error ?? NO_MODEL_MESSAGE}`;
    const models = Object.entries(set.versions).map(([m, v]) => `${m} ${v}${m === set.defaultModel ? ' (default)' : ''}`);
    return `recommendations: ${models.join(', ')} on dataset "${set.data.name}"`;
  }

  /** The history the service would score for a user now (training + streamed ratings). */
  historyOf(userId: number): UserHistory | null {
    return this.serving?.histories.get(userId) ?? null;
  }

  private requireServing(): Serving {
    const serving = this.serving;
    if (serving) return serving;
    const error = this.lastReload.error;
    throw new RecommendError('no-model', error && error !== NO_MODEL_MESSAGE ? `${NO_MODEL_MESSAGE}; the last load failed: ${error}` : NO_MODEL_MESSAGE);
  }

  /** The model asked for (by the parameter `model` of the query string or the body), else the default. */
  private modelFor(set: ModelSet, name: string | undefined, where: 'querystring' | 'body' = 'querystring'): ServingModelName {
    if (name === undefined) return set.defaultModel;
    if (set.models.has(name as ServingModelName)) return name as ServingModelName;
    const loaded = SERVING_MODELS.filter((m) => set.models.has(m));
    const what = (SERVING_MODELS as readonly string[]).includes(name) ? `model "${name}" is not loaded` : `unknown model "${name}"`;
    throw new RecommendError('bad-request', `${where}/model: ${what}; loaded: ${loaded.join(', ')}`);
  }

  private genreOf(set: ModelSet, genre: string): { name: string; movies: Int32Array } {
    const g = set.data.genres.get(genre.toLowerCase());
    if (g) return g;
    const known = [...set.data.genres.values()].map((x) => x.name).sort();
    throw new RecommendError('bad-request', `querystring/genre: unknown genre ${JSON.stringify(genre)}; known: ${known.join(', ')}`);
  }

  /** The catalogue's movie; 404 when neither the catalogue nor the model knows the id. */
  private movieOf(set: ModelSet, model: Recommender, movieId: number): Movie | undefined {
    const movie = set.data.catalogue.get(movieId);
    if (!movie && !model.knowsMovie(movieId)) throw new RecommendError('unknown-movie', `unknown movie ${movieId}: not in the catalogue of dataset "${set.data.name}"`);
    return movie;
  }

  /** The listed movies with their predicted ratings (`ratings` parallel to `scored`). */
  private items(set: ModelSet, scored: Scored[], ratings: ArrayLike<number>): RecommendationItem[] {
    return scored.map((s, i) => {
      const m = set.data.catalogue.get(s.movieId);
      return { movie_id: s.movieId, title: m?.title ?? null, genres: m?.genres ?? [], predicted_rating: round(ratings[i], 4), rank: i + 1 };
    });
  }
}

/** The JSON body of a recommend answer: the items are serialised already, so a cache hit costs a concatenation. */
export function recommendBody(outcome: RecommendOutcome, timestamp: string): string {
  return `{"user_id":${outcome.userId},"recommendations":${outcome.itemsJson},"timestamp":"${timestamp}","model_version":${JSON.stringify(outcome.modelVersion)},"source":"${outcome.source}"}`;
}

/** How many items to list: a whole number from 1 (the models size arrays by it; Infinity was a 500). */
function requireCount(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RecommendError('bad-request', `${name} must be a whole number from 1, got ${n}`);
  return n;
}

function round(x: number, digits: number): number {
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
