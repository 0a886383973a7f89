// The popularity model, two rankings of the same counts, both following the stream (add() is O(1)):
// - most popular: by how many ratings a movie has (each weighted 2^(−age / half-life) when a
//   recency half-life is set, age measured from the newest rating). What `recommend` ranks by: the
//   top-N baseline, and the fallback for users with no history (`mostPopular`, by genre when asked);
//   on the top-N protocol it beats the rating average by far, as the published baselines show;
// - top rated: by the Bayesian average rating (C·m + Σr) / (C + n), which pulls a movie with few
//   ratings toward the global mean m (`top`, by genre when asked); `predict` answers it.
//
// Lists are asked on every request, so both rankings are kept sorted (overall and per genre) and
// read from the head. add() only marks its movie; the marked movies are scored apart, and the
// sorted rankings are rebuilt once enough of them pile up. Between rebuilds every average also
// moves with m, by C·Δm/(C + n) — at most |Δm| — so the head is read until even that shift cannot
// lift a movie above the n-th best (counts of unmarked movies do not move): the answer is always
// exactly the full scan's.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '../../../movies/catalogue.js';
import type { Interactions } from '../../data/interactions.js';
import type { RatingColumns } from '../../data/ratings-parse.js';
import { IdIndexMap } from '../../../util/id-index.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from '../array-file.js';
import { clamp, ratingScale, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';

export interface PopularityParams {
  /**
   * C, the prior count: how many ratings at the global mean every movie starts with. Default: the
   * median rating count of the movies rated in training, so a typical movie's own ratings weigh
   * as much as the prior. Fixed at training; add() does not move it.
   */
  prior?: number;
  /**
   * Counts with recency: a rating weighs 2^(−age / halfLifeDays), its age taken from the newest
   * training rating (a later one weighs more than 1). Absent or 0: plain counts.
   */
  halfLifeDays?: number;
}

/** The rows the matrix was built from, for the timestamps a recency half-life reads. */
export interface PopularitySource {
  columns: RatingColumns;
  rows?: Int32Array;
}

const FORMAT = 'popularity';
const VERSION = 2;
const DAY_MS = 86_400_000;

interface PopularityMeta {
  format: string;
  version: number;
  prior: number;
  totalSum: number;
  totalCount: number;
  scale: { min: number; max: number };
  genres: string[];
  /** v2: the recency half-life (null: plain counts), the time ages are taken from, the newest rating seen. */
  halfLifeDays?: number | null;
  referenceTime?: number;
  latestTime?: number;
}

interface PopularityState {
  prior: number;
  totalSum: number;
  totalCount: number;
  scale: { min: number; max: number };
  ids: Int32Array;
  counts: Float64Array;
  sums: Float64Array;
  /** The popularity of each slot: its count, or its ratings' summed recency weights. */
  weights: Float64Array;
  halfLifeDays: number | null;
  /** Epoch ms: ages are measured from here (the newest training rating). */
  referenceTime: number;
  /** Epoch ms: the newest rating seen, training or added (an add() without a time is stamped with it). */
  latestTime: number;
  size: number;
  genres: string[];
  /** Slots of each genre's movies (catalogue movies only): genreSlots[genrePtr[g]..genrePtr[g+1]). */
  genrePtr: Int32Array;
  genreSlots: Int32Array;
}

/** What a list ranks by: the Bayesian average rating, or the (recency-weighted) count. */
type Criterion = 'rating' | 'count';

/** A sorted ranking: slots with ratings by their score (averages: at global mean `mean`), best first (ties by id). */
interface Ranking {
  mean: number;
  order: Int32Array;
  scores: Float64Array;
  /** The same, per genre. */
  genreOrder: Int32Array[];
  genreScores: Float64Array[];
}

/** Ids below this are found through a table (at most 8 MB; MovieLens ids are far below), others through a Map. */
const TABLE_IDS = 1 << 21;

/**
 * Fallbacks: predict of a movie without ratings is the global mean; recommend and top never
 * return a movie nobody rated; similar is always [] (popularity has no notion of similarity);
 * knowsUser is always false (the model holds nothing per user — it answers everyone alike).
 */
export class PopularityModel implements Recommender {
  readonly name = 'popularity' as const;
  private readonly s: PopularityState;
  private readonly slots = new IdIndexMap(TABLE_IDS);
  private readonly genreIndex = new Map<string, number>();
  /** Genres of each slot (catalogue slots only; a movie first seen by add() has none). */
  private readonly slotGenrePtr: Int32Array;
  private readonly slotGenres: Int32Array;
  private rankings: Record<Criterion, Ranking> | null = null;
  /** Slots changed by add() since the ranking was sorted (or not in it): flag per slot, and the list. */
  private changed: Uint8Array;
  private changedList: number[] = [];
  /** Marks the history's slots during one recommend (cleared on the way out). */
  private seen: Uint8Array;

  private constructor(state: PopularityState) {
    this.s = state;
    for (let i = 0; i < state.size; i++) this.setSlot(state.ids[i], i);
    state.genres.forEach((g, i) => this.genreIndex.set(g.toLowerCase(), i));
    const ptr = new Int32Array(state.size + 1);
    for (const slot of state.genreSlots) ptr[slot + 1]++;
    for (let i = 0; i < state.size; i++) ptr[i + 1] += ptr[i];
    const next = ptr.slice(0, state.size);
    const genres = new Int32Array(state.genreSlots.length);
    for (let g = 0; g < state.genres.length; g++) for (let k = state.genrePtr[g]; k < state.genrePtr[g + 1]; k++) genres[next[state.genreSlots[k]]++] = g;
    this.slotGenrePtr = ptr;
    this.slotGenres = genres;
    this.changed = new Uint8Array(state.ids.length);
    this.seen = new Uint8Array(state.ids.length);
    // Sorted now, so a service's first request does not pay for it.
    this.rankings = this.rank();
  }

  /**
   * Counts and sums per movie from the training ratings; catalogue movies without ratings get a
   * slot too (for genres). A recency half-life needs `source`, the rows `data` was built from.
   */
  static train(data: Interactions, catalogue: Catalogue, params: PopularityParams = {}, source?: PopularitySource): PopularityModel {
    if (params.prior !== undefined && !(Number.isFinite(params.prior) && params.prior >= 0)) throw new Error(`popularity: prior must be a number >= 0, got ${params.prior}`);
    const halfLife = params.halfLifeDays ?? 0;
    if (!(Number.isFinite(halfLife) && halfLife >= 0)) throw new Error(`popularity: halfLifeDays must be a number >= 0, got ${params.halfLifeDays}`);
    if (halfLife > 0 && source === undefined) throw new Error('popularity: a recency half-life needs the ratings\' timestamps (source)');
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
    const recency = halfLife > 0 ? recencyWeights(data, ids.length, source!, halfLife) : { weights: Float64Array.from(counts), referenceTime: 0 };
    return new PopularityModel({
      prior: params.prior ?? medianCount(counts),
      totalSum,
      totalCount: data.count,
      scale: ratingScale(data.movieRatings),
      ids: Int32Array.from(ids),
      counts,
      sums,
      weights: recency.weights,
      halfLifeDays: halfLife > 0 ? halfLife : null,
      referenceTime: recency.referenceTime,
      latestTime: recency.referenceTime,
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

  /** The recency half-life in days, or null for plain counts. */
  get halfLifeDays(): number | null {
    return this.s.halfLifeDays;
  }

  /**
   * One more rating, e.g. from the stream: O(1); a movie not seen before gets a slot. `timestamp`
   * (epoch ms, as the rating columns and events carry it) dates it for the recency weight; without one it counts as the newest seen.
   */
  add(movieId: number, rating: number, timestamp?: number): void {
    if (!Number.isInteger(movieId)) throw new Error(`popularity.add: movie id must be an integer, got ${movieId}`);
    if (!Number.isFinite(rating)) throw new Error(`popularity.add: rating of movie ${movieId} must be a finite number, got ${rating}`);
    let slot = this.slotOf(movieId);
    if (slot < 0) slot = this.newSlot(movieId);
    const s = this.s;
    if (timestamp !== undefined && Number.isFinite(timestamp) && timestamp > s.latestTime) s.latestTime = timestamp;
    s.counts[slot]++;
    s.weights[slot] += this.recencyWeight(timestamp ?? s.latestTime);
    s.sums[slot] += rating;
    s.totalSum += rating;
    s.totalCount++;
    if (rating < s.scale.min) s.scale = { min: rating, max: s.scale.max };
    if (rating > s.scale.max) s.scale = { min: s.scale.min, max: rating };
    if (this.changed[slot] === 0) {
      this.changed[slot] = 1;
      this.changedList.push(slot);
    }
  }

  /** (C·m + Σr) / (C + n); m for a movie nobody rated. */
  score(movieId: number): number {
    const slot = this.slotOf(movieId);
    return slot < 0 ? this.globalMean : this.bayes(slot, this.globalMean);
  }

  /** Rating count of a movie (0 when unknown). */
  count(movieId: number): number {
    const slot = this.slotOf(movieId);
    return slot < 0 ? 0 : this.s.counts[slot];
  }

  /** A movie's popularity: its count, or its ratings' summed recency weights (0 when unknown). */
  popularity(movieId: number): number {
    const slot = this.slotOf(movieId);
    return slot < 0 ? 0 : this.s.weights[slot];
  }

  /**
   * Top rated: the n rated movies with the best Bayesian average, best first (ties by id), of one
   * genre when asked ([] for a genre no catalogue movie has), without the movies `exclude` rejects.
   */
  top(n: number, genre?: string, exclude?: (movieId: number) => boolean): Scored[] {
    return this.list('rating', n, genre, exclude);
  }

  /**
   * Most popular: the n movies with the most (recency-weighted) ratings, best first (ties by id),
   * as `top` for genre and exclude; score = the popularity. The fallback for users with no history.
   */
  mostPopular(n: number, genre?: string, exclude?: (movieId: number) => boolean): Scored[] {
    return this.list('count', n, genre, exclude);
  }

  predict(_user: UserHistory, movieId: number): number {
    return clamp(this.score(movieId), this.s.scale);
  }

  /** The most popular movies the user has not rated (or only among `candidates`); score = the popularity. */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const { exclude, candidates } = options;
    const seen = this.seen;
    const marked: number[] = [];
    const mark = (id: number): boolean => {
      const slot = this.slotOf(id);
      if (slot < 0 || seen[slot] !== 0) return false;
      seen[slot] = 1;
      marked.push(slot);
      return true;
    };
    try {
      for (let k = 0; k < user.movies.length; k++) mark(user.movies[k]);
      if (candidates === undefined) return this.best('count', Math.floor(n), -1, exclude, seen);
      const best = new TopN(Math.floor(n));
      for (const id of candidates) {
        // mark() also keeps a candidate listed twice from being offered twice.
        if (!mark(id)) continue;
        const slot = this.slotOf(id);
        if (this.s.counts[slot] > 0 && (exclude === undefined || !exclude(id))) best.offer(id, this.s.weights[slot]);
      }
      return best.result();
    } finally {
      for (const slot of marked) seen[slot] = 0;
    }
  }

  /** Always []: popularity has no notion of similarity (the hybrid leaves it out of its similarity mean). */
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
    const meta: PopularityMeta = {
      format: FORMAT, version: VERSION, prior: s.prior, totalSum: s.totalSum, totalCount: s.totalCount, scale: s.scale, genres: s.genres,
      halfLifeDays: s.halfLifeDays, referenceTime: s.referenceTime, latestTime: s.latestTime,
    };
    writeArrayFile(path, meta, {
      ids: s.ids.subarray(0, s.size),
      counts: s.counts.subarray(0, s.size),
      sums: s.sums.subarray(0, s.size),
      weights: s.weights.subarray(0, s.size),
      genrePtr: s.genrePtr,
      genreSlots: s.genreSlots,
    });
    return [path];
  }

  /**
   * Reads `<dir>/popularity.bin` (v1, plain counts, as well); a damaged or foreign file throws
   * CorruptArtefactError.
   */
  static load(dir: string): PopularityModel {
    const path = join(dir, 'popularity.bin');
    const file = readArrayFile<PopularityMeta>(path);
    const meta = file.meta;
    if (meta?.format !== FORMAT || (meta.version !== VERSION && meta.version !== 1)) throw new CorruptArtefactError(`${path}: not a popularity model (format ${String(meta?.format)} v${String(meta?.version)})`);
    const ids = arrayOf(file, 'ids', Int32Array, path);
    const counts = arrayOf(file, 'counts', Float64Array, path);
    const sums = arrayOf(file, 'sums', Float64Array, path);
    // v1 had no recency: its popularity is the count.
    const weights = meta.version === 1 ? Float64Array.from(counts) : arrayOf(file, 'weights', Float64Array, path);
    const genrePtr = arrayOf(file, 'genrePtr', Int32Array, path);
    const genreSlots = arrayOf(file, 'genreSlots', Int32Array, path);
    if (counts.length !== ids.length || sums.length !== ids.length || weights.length !== ids.length || genrePtr.length !== meta.genres.length + 1 || genrePtr[meta.genres.length] !== genreSlots.length) {
      throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    }
    if (genreSlots.some((slot) => slot < 0 || slot >= ids.length)) throw new CorruptArtefactError(`${path}: genre slot out of range`);
    const halfLifeDays = meta.halfLifeDays ?? null;
    if (halfLifeDays !== null && !(halfLifeDays > 0)) throw new CorruptArtefactError(`${path}: bad half-life ${String(halfLifeDays)}`);
    return new PopularityModel({
      prior: meta.prior, totalSum: meta.totalSum, totalCount: meta.totalCount, scale: meta.scale, genres: meta.genres,
      ids, counts, sums, weights, halfLifeDays, referenceTime: meta.referenceTime ?? 0, latestTime: meta.latestTime ?? 0,
      size: ids.length, genrePtr, genreSlots,
    });
  }

  private list(by: Criterion, n: number, genre: string | undefined, exclude: ((movieId: number) => boolean) | undefined): Scored[] {
    if (!(n >= 1)) return [];
    let g = -1;
    if (genre !== undefined) {
      g = this.genreIndex.get(genre.toLowerCase()) ?? -2;
      if (g === -2) return [];
    }
    return this.best(by, Math.floor(n), g, exclude, null);
  }

  /** A slot's score by a criterion: its Bayesian average at global mean m, or its popularity. */
  private scoreOf(by: Criterion, slot: number, m: number): number {
    return by === 'rating' ? this.bayes(slot, m) : this.s.weights[slot];
  }

  /**
   * The n best rated slots by a criterion (of genre g, or all when g < 0) that `exclude` and
   * `skip` let through: the sorted ranking read from its head until no score below can reach the
   * n-th best even after the global mean's drift since it was sorted (none for counts: a count
   * changes only with its movie's add(), which marks it), then the slots changed since, scored
   * apart. What is read is nearly in order already, so sorting it is cheap — cheaper than a heap.
   */
  private best(by: Criterion, n: number, g: number, exclude: ((movieId: number) => boolean) | undefined, skip: Uint8Array | null): Scored[] {
    const s = this.s;
    const ranking = this.sorted()[by];
    const m = this.globalMean;
    const out: Scored[] = [];
    const take = (slot: number, floor: number) => {
      if (s.counts[slot] === 0 || (skip !== null && skip[slot] !== 0)) return;
      const score = this.scoreOf(by, slot, m);
      if (score < floor) return;
      const id = s.ids[slot];
      if (exclude === undefined || !exclude(id)) out.push({ movieId: id, score });
    };
    // The 1e-9 covers rounding: averages are O(1), so their errors are ~1e-15.
    const drift = by === 'rating' ? Math.abs(m - ranking.mean) + 1e-9 : 0;
    const order = g < 0 ? ranking.order : ranking.genreOrder[g];
    const scores = g < 0 ? ranking.scores : ranking.genreScores[g];
    const changed = this.changed;
    // `floor` is the lowest of the first n taken, so at most the n-th best: nothing below it counts.
    let floor = -Infinity;
    let lowest = Infinity;
    for (let i = 0; i < order.length; i++) {
      if (scores[i] + drift < floor) break;
      if (changed[order[i]] !== 0) continue;
      const before = out.length;
      take(order[i], -Infinity);
      if (out.length > before && out.length <= n) {
        lowest = Math.min(lowest, out[before].score);
        if (out.length === n) floor = lowest;
      }
    }
    for (const slot of this.changedList) if (g < 0 || this.inGenre(slot, g)) take(slot, floor);
    out.sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    if (out.length > n) out.length = n;
    return out;
  }

  /** The sorted rankings, rebuilt when the changed slots have piled up. */
  private sorted(): Record<Criterion, Ranking> {
    if (this.rankings === null || this.changedList.length > Math.max(64, this.s.size >> 6)) this.rankings = this.rank();
    return this.rankings;
  }

  /** Both rankings sorted anew (rankBy), then the changed marks cleared. */
  private rank(): Record<Criterion, Ranking> {
    const rankings = { rating: this.rankBy('rating'), count: this.rankBy('count') };
    for (const slot of this.changedList) this.changed[slot] = 0;
    this.changedList = [];
    return rankings;
  }

  /**
   * Sorts the rated slots by a criterion (averages at the current global mean). After the first
   * time it re-sorts the last order — nearly sorted still, as averages moved little and counts
   * not at all — by insertion, and merges in the changed slots sorted apart: linear in practice,
   * where a full sort of 27k movies costs milliseconds.
   */
  private rankBy(by: Criterion): Ranking {
    const s = this.s;
    const m = this.globalMean;
    const ids = s.ids;
    let order: Int32Array;
    let scores: Float64Array;
    const kept = this.rankings === null ? null : this.resort(by, this.rankings[by].order, m);
    if (kept === null) {
      const rated: number[] = [];
      for (let slot = 0; slot < s.size; slot++) if (s.counts[slot] > 0) rated.push(slot);
      const score = new Float64Array(s.size);
      for (const slot of rated) score[slot] = this.scoreOf(by, slot, m);
      rated.sort((a, b) => score[b] - score[a] || ids[a] - ids[b]);
      order = Int32Array.from(rated);
      scores = Float64Array.from(rated, (slot) => score[slot]);
    } else {
      const changed = this.changedList.filter((slot) => s.counts[slot] > 0).map((slot) => ({ slot, score: this.scoreOf(by, slot, m) }));
      changed.sort((a, b) => b.score - a.score || ids[a.slot] - ids[b.slot]);
      order = new Int32Array(kept.order.length + changed.length);
      scores = new Float64Array(order.length);
      for (let i = 0, j = 0, k = 0; k < order.length; k++) {
        const fromKept = j >= changed.length || (i < kept.order.length && (kept.scores[i] > changed[j].score || (kept.scores[i] === changed[j].score && ids[kept.order[i]] < ids[changed[j].slot])));
        if (fromKept) {
          order[k] = kept.order[i];
          scores[k] = kept.scores[i++];
        } else {
          order[k] = changed[j].slot;
          scores[k] = changed[j++].score;
        }
      }
    }
    // Each genre's order: the overall one, filtered in one pass (catalogue slots know their genres).
    const G = s.genres.length;
    const genreOrder = Array.from({ length: G }, (_, g) => new Int32Array(s.genrePtr[g + 1] - s.genrePtr[g]));
    const genreScores = Array.from({ length: G }, (_, g) => new Float64Array(s.genrePtr[g + 1] - s.genrePtr[g]));
    const filled = new Int32Array(G);
    const last = this.slotGenrePtr.length - 1;
    for (let k = 0; k < order.length; k++) {
      const slot = order[k];
      if (slot >= last) continue;
      for (let p = this.slotGenrePtr[slot]; p < this.slotGenrePtr[slot + 1]; p++) {
        const g = this.slotGenres[p];
        genreOrder[g][filled[g]] = slot;
        genreScores[g][filled[g]++] = scores[k];
      }
    }
    for (let g = 0; g < G; g++) {
      genreOrder[g] = genreOrder[g].subarray(0, filled[g]);
      genreScores[g] = genreScores[g].subarray(0, filled[g]);
    }
    return { mean: m, order, scores, genreOrder, genreScores };
  }

  /**
   * The unchanged slots of a previous order, re-scored (at mean m) and re-sorted by insertion;
   * null when that would move too much (then a full sort is cheaper).
   */
  private resort(by: Criterion, previous: Int32Array, m: number): { order: Int32Array; scores: Float64Array } | null {
    const ids = this.s.ids;
    const order = new Int32Array(previous.length);
    const scores = new Float64Array(previous.length);
    let n = 0;
    for (const slot of previous) {
      if (this.changed[slot] !== 0) continue;
      order[n] = slot;
      scores[n++] = this.scoreOf(by, slot, m);
    }
    let moves = 0;
    for (let i = 1; i < n; i++) {
      const slot = order[i];
      const score = scores[i];
      let j = i - 1;
      while (j >= 0 && (scores[j] < score || (scores[j] === score && ids[order[j]] > ids[slot]))) {
        order[j + 1] = order[j];
        scores[j + 1] = scores[j];
        j--;
        if (++moves > 16 * n) return null;
      }
      order[j + 1] = slot;
      scores[j + 1] = score;
    }
    return { order: order.subarray(0, n), scores: scores.subarray(0, n) };
  }

  private inGenre(slot: number, g: number): boolean {
    if (slot >= this.slotGenrePtr.length - 1) return false;
    for (let k = this.slotGenrePtr[slot]; k < this.slotGenrePtr[slot + 1]; k++) if (this.slotGenres[k] === g) return true;
    return false;
  }

  /** The weight of a rating at `time` (epoch ms): 1 without a half-life. */
  private recencyWeight(time: number): number {
    const s = this.s;
    if (s.halfLifeDays === null) return 1;
    return Math.pow(2, (time - s.referenceTime) / (s.halfLifeDays * DAY_MS));
  }

  private bayes(slot: number, m: number): number {
    const s = this.s;
    return (s.prior * m + s.sums[slot]) / (s.prior + s.counts[slot]);
  }

  /** The slot of a raw id, or -1. */
  private slotOf(id: number): number {
    return this.slots.get(id);
  }

  private setSlot(id: number, slot: number): void {
    this.slots.set(id, slot);
  }

  /** A slot for a movie first seen by add(); arrays grow by doubling. */
  private newSlot(movieId: number): number {
    const s = this.s;
    if (s.size === s.ids.length) {
      const capacity = Math.max(16, s.ids.length * 2);
      const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, Ctor: new (n: number) => T): T => {
        const out = new Ctor(capacity);
        out.set(a as never);
        return out;
      };
      s.ids = grow(s.ids, Int32Array);
      s.counts = grow(s.counts, Float64Array);
      s.sums = grow(s.sums, Float64Array);
      s.weights = grow(s.weights, Float64Array);
      this.changed = grow(this.changed, Uint8Array);
      this.seen = grow(this.seen, Uint8Array);
    }
    const slot = s.size++;
    s.ids[slot] = movieId;
    s.counts[slot] = 0;
    s.sums[slot] = 0;
    s.weights[slot] = 0;
    this.setSlot(movieId, slot);
    return slot;
  }
}

/**
 * Each slot's ratings weighted 2^(−age / half-life), ages from the newest of the source rows (the
 * rows `data` was built from; dense movie index = slot, as train lays them out).
 */
function recencyWeights(data: Interactions, slots: number, source: PopularitySource, halfLifeDays: number): { weights: Float64Array; referenceTime: number } {
  const { columns } = source;
  const n = source.rows === undefined ? columns.users.length : source.rows.length;
  const rowAt = source.rows === undefined ? (i: number) => i : (i: number) => source.rows![i];
  let newest = -Infinity;
  for (let i = 0; i < n; i++) newest = Math.max(newest, columns.timestamps[rowAt(i)]);
  const referenceTime = Number.isFinite(newest) ? newest : 0;
  const weights = new Float64Array(slots);
  const scale = 1 / (halfLifeDays * DAY_MS);
  for (let i = 0; i < n; i++) {
    const r = rowAt(i);
    const m = data.movies.index(columns.movies[r]);
    if (m >= 0) weights[m] += Math.pow(2, (columns.timestamps[r] - referenceTime) * scale);
  }
  return { weights, referenceTime };
}

/** The median rating count of the movies with at least one rating (1 when none has). */
function medianCount(counts: Float64Array): number {
  const rated = Array.from(counts).filter((c) => c > 0).sort((a, b) => a - b);
  if (rated.length === 0) return 1;
  const mid = rated.length >> 1;
  return rated.length % 2 === 1 ? rated[mid] : (rated[mid - 1] + rated[mid]) / 2;
}
