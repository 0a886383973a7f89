// What the server knows of each user's ratings: the training dataset's ratings (a compact CSR by
// user, raw movie ids) plus an overlay of ratings streamed since, where a re-rating replaces the
// older value. Models read a user's history from here at question time.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RatingColumns } from '../data/ratings-parse.js';
import { IdIndex } from '../data/interactions.js';
import type { UserHistory } from '../models/recommender.js';

/** Rows handled between yields to the event loop while building (keeps a live server responsive). */
const CHUNK = 1 << 21;

/** The training ratings by user as plain arrays: what a worker builds and hands over. */
export interface HistoryArrays {
  /** The distinct user ids, ascending. */
  userIds: Int32Array;
  /** users + 1 entries: user u's ratings are rows ptr[u]..ptr[u+1]. */
  ptr: Int32Array;
  movies: Int32Array;
  ratings: Float32Array;
  /** The newest rating's time (epoch ms), or -Infinity when empty. */
  maxTimestamp: number;
}

/**
 * The ratings as the grouping reads them: every row's user at once (it is read twice), the other
 * columns a range of rows at a time — so a reader of the ratings file need not hold them whole.
 */
export interface RatingRows {
  users: Int32Array;
  /** The newest rating's time (epoch ms), or -Infinity when empty. */
  maxTimestamp: number;
  /** Movies and ratings of rows [from, to); the views may be reused by the next call. */
  slice(from: number, to: number): { movies: Int32Array; ratings: Float32Array };
}

/** In-memory columns as RatingRows. */
export function columnRows(columns: RatingColumns): RatingRows {
  let maxTimestamp = -Infinity;
  for (let i = 0; i < columns.timestamps.length; i++) if (columns.timestamps[i] > maxTimestamp) maxTimestamp = columns.timestamps[i];
  return {
    users: columns.users,
    maxTimestamp,
    slice: (from, to) => ({ movies: columns.movies.subarray(from, to), ratings: columns.ratings.subarray(from, to) }),
  };
}

/**
 * A counting sort of the rows by user, O(n), in steps: each `yield` is a point where an async
 * caller may let the event loop run. The result holds copies: the caller may drop the rows (and
 * any file buffer behind them) afterwards.
 */
function* groupByUser(rows: RatingRows): Generator<void, HistoryArrays> {
  const n = rows.users.length;
  const users = IdIndex.of(rows.users);
  yield;
  const ptr = new Int32Array(users.size + 1);
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    for (let i = start; i < end; i++) ptr[users.index(rows.users[i]) + 1]++;
    yield;
  }
  for (let u = 0; u < users.size; u++) ptr[u + 1] += ptr[u];
  const next = ptr.slice(0, users.size);
  const movies = new Int32Array(n);
  const ratings = new Float32Array(n);
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const slice = rows.slice(start, end);
    for (let i = start; i < end; i++) {
      const at = next[users.index(rows.users[i])]++;
      movies[at] = slice.movies[i - start];
      ratings[at] = slice.ratings[i - start];
    }
    yield;
  }
  return { userIds: users.ids, ptr, movies, ratings, maxTimestamp: rows.maxTimestamp };
}

/** The ratings grouped by user, in one go (a worker thread's way; see TrainingHistories.fromColumns). */
export function historyArrays(rows: RatingRows): HistoryArrays {
  const steps = groupByUser(rows);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

/** The training ratings by user: `movies[ptr[u]..ptr[u+1])` are user `users.ids[u]`'s movies. */
export class TrainingHistories {
  private constructor(
    readonly users: IdIndex,
    private readonly ptr: Int32Array,
    private readonly movies: Int32Array,
    private readonly ratings: Float32Array,
    /** The newest rating's time (epoch ms), or -Infinity when empty. */
    readonly maxTimestamp: number,
  ) {}

  static empty(): TrainingHistories {
    return TrainingHistories.fromArrays({ userIds: new Int32Array(0), ptr: new Int32Array(1), movies: new Int32Array(0), ratings: new Float32Array(0), maxTimestamp: -Infinity });
  }

  static fromArrays(a: HistoryArrays): TrainingHistories {
    return new TrainingHistories(new IdIndex(a.userIds), a.ptr, a.movies, a.ratings, a.maxTimestamp);
  }

  /** Groups the columns by user on this thread, yielding to the event loop every few million rows. */
  static async fromColumns(columns: RatingColumns): Promise<TrainingHistories> {
    const steps = groupByUser(columnRows(columns));
    for (;;) {
      const step = steps.next();
      if (step.done === true) return TrainingHistories.fromArrays(step.value);
      await yieldToEventLoop();
    }
  }

  get size(): number {
    return this.users.size;
  }

  get ratingCount(): number {
    return this.movies.length;
  }

  /** The user's training ratings as views (no copy), or null for a user not in the dataset. */
  of(userId: number): { movies: Int32Array; ratings: Float32Array } | null {
    const u = this.users.index(userId);
    if (u < 0) return null;
    const from = this.ptr[u];
    const to = this.ptr[u + 1];
    return { movies: this.movies.subarray(from, to), ratings: this.ratings.subarray(from, to) };
  }
}

interface OverlayEntry {
  /** movieId → rating, in the order rated (a re-rating moves to the end). */
  ratings: Map<number, number>;
  /** movieId → the rating's event time (epoch ms), for the user's recent ratings. */
  times: Map<number, number>;
  /** The merged history, kept until the user's next rating or a change of training data. */
  merged?: { base: TrainingHistories; history: UserHistory };
}

export interface StreamedRating {
  userId: number;
  movieId: number;
  rating: number;
  /** Event time, epoch ms. */
  timestamp: number;
}

/**
 * Ratings that arrived on the stream since the server started following it. Survives model
 * swaps (the new model's dataset may not hold them yet). Bounded: past `maxRatings` the users
 * updated longest ago are dropped whole — they fall back to their training history until the
 * next training run picks their ratings up from the log.
 */
export class RatingsOverlay {
  private readonly users = new Map<number, OverlayEntry>();
  private count = 0;
  /** Every rating applied, for health. */
  applied = 0;
  /** The latest ratings in arrival order (a ring of typed arrays), to replay into a newly loaded popularity model. */
  private readonly recent: RatingRing;

  constructor(readonly maxRatings = 1_000_000) {
    this.recent = new RatingRing(Math.max(1, maxRatings));
  }

  add(r: StreamedRating): void {
    let entry = this.users.get(r.userId);
    if (entry) {
      // Re-insert: Map order is then least recently updated first, which eviction relies on.
      this.users.delete(r.userId);
      entry.merged = undefined;
    } else {
      entry = { ratings: new Map(), times: new Map() };
    }
    this.users.set(r.userId, entry);
    if (!entry.ratings.has(r.movieId)) this.count++;
    else entry.ratings.delete(r.movieId); // a re-rating moves to the end, as the newest
    entry.ratings.set(r.movieId, r.rating);
    entry.times.set(r.movieId, r.timestamp);
    this.applied++;
    this.recent.push(r);
    while (this.count > this.maxRatings && this.users.size > 1) {
      const [oldest, old] = this.users.entries().next().value!;
      this.count -= old.ratings.size;
      this.users.delete(oldest);
    }
  }

  has(userId: number): boolean {
    return this.users.has(userId);
  }

  get ratingCount(): number {
    return this.count;
  }

  get userCount(): number {
    return this.users.size;
  }

  /** The latest streamed ratings (at most maxRatings) with an event time after `sinceMs`, oldest first. */
  since(sinceMs: number): StreamedRating[] {
    return this.recent.filter((r) => r.timestamp > sinceMs);
  }

  /** How many of the latest streamed ratings (at most maxRatings) have an event time after `sinceMs`: a scan, no allocation. */
  countSince(sinceMs: number): number {
    return this.recent.countAfter(sinceMs);
  }

  /** A user's streamed ratings, newest first (by arrival: a re-rating counts as new). */
  streamedOf(userId: number): StreamedRating[] {
    const entry = this.users.get(userId);
    if (!entry) return [];
    const out: StreamedRating[] = [];
    for (const [movieId, rating] of entry.ratings) out.push({ userId, movieId, rating, timestamp: entry.times.get(movieId) ?? 0 });
    return out.reverse();
  }

  /** @internal */
  entry(userId: number): OverlayEntry | undefined {
    return this.users.get(userId);
  }
}

/** A fixed-size ring of ratings in typed arrays (20 bytes a rating, no objects), allocated by the first push. */
class RatingRing {
  private users = new Int32Array(0);
  private movies = new Int32Array(0);
  private ratings = new Float32Array(0);
  private times = new Float64Array(0);
  private next = 0;
  private size = 0;

  constructor(private readonly capacity: number) {}

  push(r: StreamedRating): void {
    if (this.users.length === 0) {
      this.users = new Int32Array(this.capacity);
      this.movies = new Int32Array(this.capacity);
      this.ratings = new Float32Array(this.capacity);
      this.times = new Float64Array(this.capacity);
    }
    const i = this.next;
    this.users[i] = r.userId;
    this.movies[i] = r.movieId;
    this.ratings[i] = r.rating;
    this.times[i] = r.timestamp;
    this.next = (i + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  countAfter(sinceMs: number): number {
    let n = 0;
    for (let k = 0; k < this.size; k++) if (this.times[k] > sinceMs) n++;
    return n;
  }

  filter(keep: (r: StreamedRating) => boolean): StreamedRating[] {
    const out: StreamedRating[] = [];
    const start = (this.next - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) {
      const i = (start + k) % this.capacity;
      const r = { userId: this.users[i], movieId: this.movies[i], rating: this.ratings[i], timestamp: this.times[i] };
      if (keep(r)) out.push(r);
    }
    return out;
  }
}

/** A user's history as models want it: training ratings merged with streamed ones. */
export class UserHistories {
  constructor(
    readonly base: TrainingHistories,
    readonly overlay: RatingsOverlay,
  ) {}

  /** Whether the user has any rating, in training or on the stream. */
  knows(userId: number): boolean {
    return this.base.users.index(userId) >= 0 || this.overlay.has(userId);
  }

  /** The user's history; `fresh` when ratings arrived after training (ALS then folds them in). */
  get(userId: number): UserHistory {
    const trained = this.base.of(userId);
    const entry = this.overlay.entry(userId);
    if (!entry) {
      return trained
        ? { userId, movies: trained.movies, ratings: trained.ratings }
        : { userId, movies: new Int32Array(0), ratings: new Float32Array(0) };
    }
    if (entry.merged && entry.merged.base === this.base) return entry.merged.history;
    const history = merge(userId, trained, entry.ratings);
    entry.merged = { base: this.base, history };
    return history;
  }
}

/** Training ratings, minus the movies re-rated on the stream, then the streamed ratings. */
function merge(userId: number, trained: { movies: Int32Array; ratings: Float32Array } | null, streamed: Map<number, number>): UserHistory {
  const baseLength = trained?.movies.length ?? 0;
  const movies = new Int32Array(baseLength + streamed.size);
  const ratings = new Float32Array(baseLength + streamed.size);
  let k = 0;
  for (let i = 0; i < baseLength; i++) {
    const movieId = trained!.movies[i];
    if (streamed.has(movieId)) continue;
    movies[k] = movieId;
    ratings[k++] = trained!.ratings[i];
  }
  for (const [movieId, rating] of streamed) {
    movies[k] = movieId;
    ratings[k++] = rating;
  }
  return { userId, movies: movies.subarray(0, k), ratings: ratings.subarray(0, k), fresh: true };
}
