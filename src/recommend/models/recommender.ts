// The contract every model serves and is evaluated through. Ids here are raw MovieLens ids; each
// model maps them to its own dense indices. A model never throws on an unknown user or movie: it
// answers with its documented fallback (see each model's `predict`).

/**
 * What a model knows of a user at question time: their id and the ratings they have made (from
 * training, plus any that arrived later on the stream). `movies` and `ratings` are parallel.
 * ALS uses its trained factors for a known user unless `fresh` is true (new ratings since
 * training), in which case it folds the history in; the neighbourhood and content models always
 * score from the history.
 */
export interface UserHistory {
  userId: number;
  movies: Int32Array;
  ratings: Float32Array;
  fresh?: boolean;
}

export interface Scored {
  movieId: number;
  score: number;
}

export interface RecommendOptions {
  /** Movies that must not be returned (the user's history is always excluded). */
  exclude?: (movieId: number) => boolean;
  /** Score only these movies (raw ids), e.g. a candidate list from another model. */
  candidates?: Int32Array;
}

export interface Recommender {
  /** Its kind (a key of the table in model-kinds.ts). */
  readonly name: string;
  /** The rating scale seen in training, for clamping predictions. */
  readonly scale: { min: number; max: number };
  /** A predicted rating on the training scale, clamped to it. Never throws for unknown ids. */
  predict(user: UserHistory, movieId: number): number;
  /**
   * Optional: the predicted ratings of several movies for one user, parallel to `movieIds` —
   * exactly what `predict` gives for each, the work that depends on the history alone (a
   * profile, a fold-in, the user's bias, the history's marks) done once instead of per movie.
   * Call it through `predictions`, which falls back to `predict` per movie.
   */
  predictMany?(user: UserHistory, movieIds: ArrayLike<number>): Float64Array;
  /**
   * The n best movies for a user by the model's ranking score, best first, ties by movie id
   * ascending; the user's history and `exclude` are never returned. `score` is the model's
   * ranking score (a predicted rating for ALS, a similarity-weighted score for neighbourhoods).
   */
  recommend(user: UserHistory, n: number, options?: RecommendOptions): Scored[];
  /**
   * The n movies most similar to a movie, best first by the model's own order; [] for an unknown
   * movie (and always [] for a model with no notion of similarity: popularity).
   *
   * `score` is a similarity on ONE scale for every model, so a threshold (`similarity > 0.5`)
   * means the same whichever model answers: a number in [0, 1], 1 for the same direction, 0 for
   * nothing in common (or opposite). Each model's:
   * - als: the cosine of the two movies' factor vectors (biases left out), clamped at 0;
   * - itemcf: its trained similarity: the cosine (or adjusted cosine) of the movies' rating
   *   vectors × n / (n + shrinkage) for n common users — the plain cosine with shrinkage 0; only
   *   positive ones are kept;
   * - content: the cosine of the two movies' (unit) content vectors; only positive ones are kept;
   * - hybrid: the ranking-weighted mean of its components' similarities (components that return
   *   none for the movie left out; a movie missing from a component's list counts 0 for it),
   *   listed in its rank-fusion order — so, for the hybrid only, scores need not descend;
   * - popularity: [].
   */
  similar(movieId: number, n: number): Scored[];
  knowsUser(userId: number): boolean;
  knowsMovie(movieId: number): boolean;
}

/** A model's predicted ratings of several movies for one user (its `predictMany`, else `predict` per movie). */
export function predictions(model: Recommender, user: UserHistory, movieIds: ArrayLike<number>): Float64Array {
  if (model.predictMany !== undefined) return model.predictMany(user, movieIds);
  const out = new Float64Array(movieIds.length);
  for (let i = 0; i < movieIds.length; i++) out[i] = model.predict(user, movieIds[i]);
  return out;
}

/** An empty history, for a user nobody has seen. */
export function emptyHistory(userId: number): UserHistory {
  return { userId, movies: new Int32Array(0), ratings: new Float32Array(0) };
}

/**
 * Keeps the n best (score desc, movieId asc) of a stream of candidates in a small binary heap:
 * O(m log n) for m candidates, no full sort of the catalogue.
 */
export class TopN {
  private readonly ids: Int32Array;
  private readonly scores: Float64Array;
  size = 0;

  constructor(readonly n: number) {
    this.ids = new Int32Array(Math.max(n, 1));
    this.scores = new Float64Array(Math.max(n, 1));
  }

  /** The score a candidate must beat to enter (−Infinity until the heap is full). */
  get threshold(): number {
    return this.size < this.n ? -Infinity : this.scores[0];
  }

  offer(movieId: number, score: number): void {
    if (this.n <= 0 || Number.isNaN(score)) return;
    if (this.size < this.n) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(score, movieId, this.scores[parent], this.ids[parent])) break;
        this.scores[i] = this.scores[parent];
        this.ids[i] = this.ids[parent];
        i = parent;
      }
      this.scores[i] = score;
      this.ids[i] = movieId;
      return;
    }
    // The root is the worst kept; replace it when the candidate is better.
    if (!worse(this.scores[0], this.ids[0], score, movieId)) return;
    let i = 0;
    const size = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let w = l;
      if (r < size && worse(this.scores[r], this.ids[r], this.scores[l], this.ids[l])) w = r;
      if (!worse(this.scores[w], this.ids[w], score, movieId)) break;
      this.scores[i] = this.scores[w];
      this.ids[i] = this.ids[w];
      i = w;
    }
    this.scores[i] = score;
    this.ids[i] = movieId;
  }

  /** The kept candidates, best first. */
  result(): Scored[] {
    const out: Scored[] = [];
    for (let i = 0; i < this.size; i++) out.push({ movieId: this.ids[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || a.movieId - b.movieId);
  }
}

/** a is worse than b: lower score, or equal score and larger id. */
function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}

/**
 * What a model derives from a user's history (a fold-in, a profile), kept for the last `capacity`
 * users and reused while their history is unchanged: the service asks recommend and then predict
 * for each returned movie with one history, and a user's next request usually brings the same
 * history again. An entry is found by user id and checked against the history's length and two
 * 32-bit hashes of its ids and exact ratings, O(n) — far below what is derived from it.
 */
export class HistoryCache<T> {
  private readonly entries = new Map<number, { movies: number; ratings: number; h1: number; h2: number; value: T }>();

  constructor(readonly capacity: number) {}

  /** The value for this history: the kept one when the history is the same, else `derive`'s (then kept). */
  get(user: UserHistory, derive: (user: UserHistory) => T): T {
    const { movies, ratings } = user;
    const n = Math.min(movies.length, ratings.length);
    const bits = new Int32Array(ratings.buffer, ratings.byteOffset, n);
    let h1 = 0x2545f491 ^ n;
    let h2 = 0x6a09e667 ^ user.userId;
    for (let k = 0; k < n; k++) {
      h1 = Math.imul(h1 ^ movies[k], 0x9e3779b1);
      h1 = Math.imul(h1 ^ bits[k], 0x85ebca6b);
      h2 = (Math.imul(h2 ^ bits[k], 0xc2b2ae35) + movies[k]) | 0;
      h2 ^= h2 >>> 15;
    }
    const hit = this.entries.get(user.userId);
    if (hit !== undefined && hit.movies === movies.length && hit.ratings === ratings.length && hit.h1 === h1 && hit.h2 === h2) {
      this.entries.delete(user.userId);
      this.entries.set(user.userId, hit);
      return hit.value;
    }
    const value = derive(user);
    this.entries.delete(user.userId);
    this.entries.set(user.userId, { movies: movies.length, ratings: ratings.length, h1, h2, value });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

export function clamp(value: number, scale: { min: number; max: number }): number {
  return value < scale.min ? scale.min : value > scale.max ? scale.max : value;
}

/** The smallest and largest rating seen (MovieLens' 0.5–5 when there are none), for clamping. */
export function ratingScale(ratings: Float32Array): { min: number; max: number } {
  if (ratings.length === 0) return { min: 0.5, max: 5 };
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < ratings.length; k++) {
    if (ratings[k] < min) min = ratings[k];
    if (ratings[k] > max) max = ratings[k];
  }
  return { min, max };
}
