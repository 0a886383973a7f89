// The popularity model: every movie ranked by its Bayesian average rating, (C·m + Σr) / (C + n),
// which pulls a movie with few ratings toward the global mean m. It is the fallback for users
// no other model knows, by genre when asked, and it follows the stream: add() is O(1).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '../../pipelines/ratings/catalogue.js';
import type { Interactions } from '../data/interactions.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from './array-file.js';
import { clamp, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from './recommender.js';

export interface PopularityParams {
  /**
   * C, the prior count: how many ratings at the global mean every movie starts with. Default: the
   * median rating count of the movies rated in training, so a typical movie's own ratings weigh
   * as much as the prior. Fixed at training; add() does not move it.
   */
  prior?: number;
}

const FORMAT = 'popularity';
const VERSION = 1;

interface PopularityMeta {
  format: string;
  version: number;
  prior: number;
  totalSum: number;
  totalCount: number;
  scale: { min: number; max: number };
  genres: string[];
}

interface PopularityState {
  prior: number;
  totalSum: number;
  totalCount: number;
  scale: { min: number; max: number };
  ids: Int32Array;
  counts: Float64Array;
  sums: Float64Array;
  size: number;
  genres: string[];
  /** Slots of each genre's movies (catalogue movies only): genreSlots[genrePtr[g]..genrePtr[g+1]). */
  genrePtr: Int32Array;
  genreSlots: Int32Array;
}

/**
 * Fallbacks: predict of a movie without ratings is the global mean; recommend and top never
 * return a movie nobody rated; similar is always [] (popularity has no notion of similarity);
 * knowsUser is always false (the model holds nothing per user — it answers everyone alike).
 */
export class PopularityModel implements Recommender {
  readonly name = 'popularity' as const;
  private readonly s: PopularityState;
  private readonly slotOf = new Map<number, number>();
  private readonly genreIndex = new Map<string, number>();

  private constructor(state: PopularityState) {
    this.s = state;
    for (let i = 0; i < state.size; i++) this.slotOf.set(state.ids[i], i);
    state.genres.forEach((g, i) => this.genreIndex.set(g.toLowerCase(), i));
  }

  /** Counts and sums per movie from the training ratings; catalogue movies without ratings get a slot too (for genres). */
  static train(data: Interactions, catalogue: Catalogue, params: PopularityParams = {}): PopularityModel {
    if (params.prior !== undefined && !(Number.isFinite(params.prior) && params.prior >= 0)) throw new Error(`popularity: prior must be a number >= 0, got ${params.prior}`);
    const ids: number[] = [];
    const slot = new Map<number, number>();
    const take = (id: number) => {
      if (!slot.has(id)) {
        slot.set(id, ids.length);
        ids.push(id);
      }
    };
    for (const id of data.movies.ids) take(id);
    for (const id of catalogue.ids()) take(id);
    const counts = new Float64Array(ids.length);
    const sums = new Float64Array(ids.length);
    let totalSum = 0;
    for (let m = 0; m < data.movies.size; m++) {
      let sum = 0;
      for (let k = data.moviePtr[m]; k < data.moviePtr[m + 1]; k++) sum += data.movieRatings[k];
      counts[m] = data.moviePtr[m + 1] - data.moviePtr[m];
      sums[m] = sum;
      totalSum += sum;
    }
    // Genre posting lists, genres in first-seen order of the catalogue's ascending ids.
    const byGenre = new Map<string, number[]>();
    for (const movie of catalogue.all()) {
      for (const g of movie.genres) {
        let list = byGenre.get(g);
        if (list === undefined) byGenre.set(g, (list = []));
        list.push(slot.get(movie.movieId)!);
      }
    }
    const genres = [...byGenre.keys()];
    const genrePtr = new Int32Array(genres.length + 1);
    genres.forEach((g, i) => (genrePtr[i + 1] = genrePtr[i] + byGenre.get(g)!.length));
    const genreSlots = new Int32Array(genrePtr[genres.length]);
    genres.forEach((g, i) => genreSlots.set(byGenre.get(g)!, genrePtr[i]));
    return new PopularityModel({
      prior: params.prior ?? medianCount(counts),
      totalSum,
      totalCount: data.count,
      scale: ratingScale(data.movieRatings),
      ids: Int32Array.from(ids),
      counts,
      sums,
      size: ids.length,
      genres,
      genrePtr,
      genreSlots,
    });
  }

  get scale(): { min: number; max: number } {
    return this.s.scale;
  }

  /** C, the prior count. */
  get prior(): number {
    return this.s.prior;
  }

  /** m, the mean of every rating seen (training and added). */
  get globalMean(): number {
    return this.s.totalCount > 0 ? this.s.totalSum / this.s.totalCount : 0;
  }

  /** The genres top() accepts (catalogue spelling; matched case-insensitively). */
  get genres(): readonly string[] {
    return this.s.genres;
  }

  /** One more rating, e.g. from the stream: O(1); a movie not seen before gets a slot. */
  add(movieId: number, rating: number): void {
    if (!Number.isInteger(movieId)) throw new Error(`popularity.add: movie id must be an integer, got ${movieId}`);
    if (!Number.isFinite(rating)) throw new Error(`popularity.add: rating of movie ${movieId} must be a finite number, got ${rating}`);
    let slot = this.slotOf.get(movieId);
    if (slot === undefined) slot = this.newSlot(movieId);
    const s = this.s;
    s.counts[slot]++;
    s.sums[slot] += rating;
    s.totalSum += rating;
    s.totalCount++;
    if (rating < s.scale.min) s.scale = { min: rating, max: s.scale.max };
    if (rating > s.scale.max) s.scale = { min: s.scale.min, max: rating };
  }

  /** (C·m + Σr) / (C + n); m for a movie nobody rated. */
  score(movieId: number): number {
    const slot = this.slotOf.get(movieId);
    return slot === undefined ? this.globalMean : this.bayes(slot, this.globalMean);
  }

  /** Rating count of a movie (0 when unknown). */
  count(movieId: number): number {
    const slot = this.slotOf.get(movieId);
    return slot === undefined ? 0 : this.s.counts[slot];
  }

  /**
   * The n rated movies with the best Bayesian average, best first (ties by id), of one genre when
   * asked ([] for a genre no catalogue movie has), without the movies `exclude` rejects.
   */
  top(n: number, genre?: string, exclude?: (movieId: number) => boolean): Scored[] {
    if (!(n >= 1)) return [];
    const s = this.s;
    const m = this.globalMean;
    const best = new TopN(Math.floor(n));
    const consider = (slot: number) => {
      if (s.counts[slot] === 0) return;
      const score = this.bayes(slot, m);
      if (score < best.threshold) return;
      const id = s.ids[slot];
      if (exclude === undefined || !exclude(id)) best.offer(id, score);
    };
    if (genre === undefined) {
      for (let slot = 0; slot < s.size; slot++) consider(slot);
    } else {
      const g = this.genreIndex.get(genre.toLowerCase());
      if (g === undefined) return [];
      for (let k = s.genrePtr[g]; k < s.genrePtr[g + 1]; k++) consider(s.genreSlots[k]);
    }
    return best.result();
  }

  predict(_user: UserHistory, movieId: number): number {
    return clamp(this.score(movieId), this.s.scale);
  }

  /** The best Bayesian averages the user has not rated (or only among `candidates`); score = the average. */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const seen = new Set<number>(user.movies);
    const exclude = options.exclude;
    const skip = (id: number) => seen.has(id) || (exclude !== undefined && exclude(id));
    if (options.candidates === undefined) return this.top(n, undefined, skip);
    const best = new TopN(Math.floor(n));
    const m = this.globalMean;
    for (const id of options.candidates) {
      const slot = this.slotOf.get(id);
      if (slot !== undefined && this.s.counts[slot] > 0 && !skip(id)) best.offer(id, this.bayes(slot, m));
    }
    return best.result();
  }

  similar(): Scored[] {
    return [];
  }

  knowsUser(): boolean {
    return false;
  }

  knowsMovie(movieId: number): boolean {
    return this.count(movieId) > 0;
  }

  /** Writes `<dir>/popularity.bin` (the current counts, added ratings included); returns the files written. */
  save(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'popularity.bin');
    const s = this.s;
    const meta: PopularityMeta = { format: FORMAT, version: VERSION, prior: s.prior, totalSum: s.totalSum, totalCount: s.totalCount, scale: s.scale, genres: s.genres };
    writeArrayFile(path, meta, {
      ids: s.ids.subarray(0, s.size),
      counts: s.counts.subarray(0, s.size),
      sums: s.sums.subarray(0, s.size),
      genrePtr: s.genrePtr,
      genreSlots: s.genreSlots,
    });
    return [path];
  }

  /** Reads `<dir>/popularity.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): PopularityModel {
    const path = join(dir, 'popularity.bin');
    const file = readArrayFile<PopularityMeta>(path);
    const meta = file.meta;
    if (meta?.format !== FORMAT || meta.version !== VERSION) throw new CorruptArtefactError(`${path}: not a popularity model (format ${String(meta?.format)} v${String(meta?.version)})`);
    const ids = arrayOf(file, 'ids', Int32Array, path);
    const counts = arrayOf(file, 'counts', Float64Array, path);
    const sums = arrayOf(file, 'sums', Float64Array, path);
    const genrePtr = arrayOf(file, 'genrePtr', Int32Array, path);
    const genreSlots = arrayOf(file, 'genreSlots', Int32Array, path);
    if (counts.length !== ids.length || sums.length !== ids.length || genrePtr.length !== meta.genres.length + 1 || genrePtr[meta.genres.length] !== genreSlots.length) {
      throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    }
    if (genreSlots.some((slot) => slot < 0 || slot >= ids.length)) throw new CorruptArtefactError(`${path}: genre slot out of range`);
    return new PopularityModel({ ...meta, ids, counts, sums, size: ids.length, genrePtr, genreSlots });
  }

  private bayes(slot: number, m: number): number {
    const s = this.s;
    return (s.prior * m + s.sums[slot]) / (s.prior + s.counts[slot]);
  }

  /** A slot for a movie first seen by add(); arrays grow by doubling. */
  private newSlot(movieId: number): number {
    const s = this.s;
    if (s.size === s.ids.length) {
      const capacity = Math.max(16, s.ids.length * 2);
      const grow = <T extends Int32Array | Float64Array>(a: T, Ctor: new (n: number) => T): T => {
        const out = new Ctor(capacity);
        out.set(a as never);
        return out;
      };
      s.ids = grow(s.ids, Int32Array);
      s.counts = grow(s.counts, Float64Array);
      s.sums = grow(s.sums, Float64Array);
    }
    const slot = s.size++;
    s.ids[slot] = movieId;
    s.counts[slot] = 0;
    s.sums[slot] = 0;
    this.slotOf.set(movieId, slot);
    return slot;
  }
}

/** The median rating count of the movies with at least one rating (1 when none has). */
function medianCount(counts: Float64Array): number {
  const rated = Array.from(counts).filter((c) => c > 0).sort((a, b) => a - b);
  if (rated.length === 0) return 1;
  const mid = rated.length >> 1;
  return rated.length % 2 === 1 ? rated[mid] : (rated[mid - 1] + rated[mid]) / 2;
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
