// The part of a matrix-factorisation model that does not depend on what its factors were fitted
// to (ALS's ratings, iALS's preferences): the user and movie ids with their factor rows, the
// artefact arrays, a user's vector in scratch, the top n of one SIMD sweep over every movie, the
// cosine `similar`, and gathering a history for a fold-in. Each model keeps its own loss, fold-in
// solve, predict and candidate scoring, which differ.
import { IdIndex } from '../data/interactions.js';
import { arrayOf, type ArrayFile } from './array-file.js';
import { MovieScorer } from './movie-scorer.js';
import { TopN, type Scored, type UserHistory } from './recommender.js';

export interface FactorArrays {
  /** Raw ids, ascending, one per factor row. */
  userIds: Int32Array;
  movieIds: Int32Array;
  /** Row-major, `rank` values per id. */
  userFactors: Float32Array;
  movieFactors: Float32Array;
}

/** Throws an error naming the field when the factor matrices do not hold `rank` values per id. */
export function checkFactorShapes(f: FactorArrays & { rank: number }, where: string): void {
  const nu = f.userIds.length;
  const nm = f.movieIds.length;
  if (f.userFactors.length !== nu * f.rank) throw new Error(`${where}: userFactors has ${f.userFactors.length} values, expected ${nu} users × rank ${f.rank}`);
  if (f.movieFactors.length !== nm * f.rank) throw new Error(`${where}: movieFactors has ${f.movieFactors.length} values, expected ${nm} movies × rank ${f.rank}`);
}

/** The four factor arrays of an artefact file (CorruptArtefactError when one is missing or mistyped). */
export function readFactorArrays(file: ArrayFile, path: string): FactorArrays {
  return {
    userIds: arrayOf(file, 'userIds', Int32Array, path),
    movieIds: arrayOf(file, 'movieIds', Int32Array, path),
    userFactors: arrayOf(file, 'userFactors', Float32Array, path),
    movieFactors: arrayOf(file, 'movieFactors', Float32Array, path),
  };
}

/** Groups of 16 movies `sweepByNorm` scores between two looks at its bound. */
const SWEEP_GROUPS = 16;
/**
 * What widens its bound |x|·|y| past rounding: relative (the single-precision sweep errs by at
 * most ~(rank + 1)·2⁻²⁴ of |x|·|y|, 4·10⁻⁶ at rank 64; 10⁻⁴ covers rank 1,000) and absolute (underflow).
 */
const BOUND_SLACK = 1e-4;
const BOUND_FLOOR = 1e-30;

/** Ids and factor rows, with the scratch one question at a time needs (a model serves from one thread). */
export class FactorTable {
  readonly users: IdIndex;
  readonly movies: IdIndex;
  readonly userFactors: Float32Array;
  readonly movieFactors: Float32Array;
  /** The vector of the user being answered. */
  readonly userVec: Float64Array;
  private readonly mask: Uint8Array;
  private readonly marked: number[] = [];
  private movieScorer: MovieScorer | null = null;
  private movieNorms: Float32Array | null = null;
  private byNorm: { scorer: MovieScorer; order: Int32Array; lengths: Float64Array } | null = null;

  /** `movieBias`, when given, is what the sweep adds to each movie's x·y. */
  constructor(f: FactorArrays, readonly rank: number, private readonly movieBias?: Float32Array) {
    this.users = new IdIndex(f.userIds);
    this.movies = new IdIndex(f.movieIds);
    this.userFactors = f.userFactors;
    this.movieFactors = f.movieFactors;
    this.userVec = new Float64Array(rank);
    this.mask = new Uint8Array(f.movieIds.length);
  }

  /** The arrays an artefact stores, in its order. */
  arrays(): FactorArrays {
    return { userIds: this.users.ids, movieIds: this.movies.ids, userFactors: this.userFactors, movieFactors: this.movieFactors };
  }

  /** A known user's trained factors (a copy), or null. */
  userRow(userId: number): Float32Array | null {
    const u = this.users.index(userId);
    return u < 0 ? null : this.userFactors.slice(u * this.rank, (u + 1) * this.rank);
  }

  /** A known movie's factors (a copy), or null. */
  movieRow(movieId: number): Float32Array | null {
    const m = this.movies.index(movieId);
    return m < 0 ? null : this.movieFactors.slice(m * this.rank, (m + 1) * this.rank);
  }

  /** Puts user row `u`'s trained factors in `userVec`. */
  useTrained(u: number): void {
    for (let c = 0, off = u * this.rank; c < this.rank; c++) this.userVec[c] = this.userFactors[off + c];
  }

  /**
   * The history's movies the table knows (dense indices) with their ratings, in history order;
   * unknown movies and non-finite ratings left out: what a fold-in solves over.
   */
  knownHistory(history: UserHistory): { cols: Int32Array; ratings: Float32Array; kept: number } {
    const n = Math.min(history.movies.length, history.ratings.length);
    const cols = new Int32Array(n);
    const ratings = new Float32Array(n);
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const m = this.movies.index(history.movies[i]);
      const r = history.ratings[i];
      if (m < 0 || !Number.isFinite(r)) continue;
      cols[kept] = m;
      ratings[kept++] = r;
    }
    return { cols, ratings, kept };
  }

  /**
   * Marks movie row `m` as answered or excluded for the question under way; false when it was
   * already. The marks live in one reusable mask: `unmarkAll` clears them when the answer is done.
   */
  mark(m: number): boolean {
    if (this.mask[m] !== 0) return false;
    this.mask[m] = 1;
    this.marked.push(m);
    return true;
  }

  unmarkAll(): void {
    for (const m of this.marked) this.mask[m] = 0;
    this.marked.length = 0;
  }

  /**
   * Offers `top` every unmarked movie (and not `exclude`d) scored base + x·y (+ its bias when the
   * table has them), `x` the given vector: one SIMD sweep in single precision, then only the groups
   * of 16 whose best can still enter the heap are read. Without biases the sweep goes longest
   * vector first and stops early (`sweepByNorm`), with the same result.
   */
  sweep(top: TopN, x: Float64Array, base: number, exclude?: (movieId: number) => boolean): void {
    if (this.movieBias === undefined) {
      this.sweepByNorm(top, x, base, exclude);
      return;
    }
    const scorer = this.scorer();
    const scores = scorer.scores(x);
    const ids = this.movies.ids;
    const mask = this.mask;
    const G = MovieScorer.GROUP;
    const lanes = scorer.laneMax;
    let threshold = -Infinity;
    for (let g = 0, at = 0; at < lanes.length; g++, at += 4) {
      if (base + lanes[at] < threshold && base + lanes[at + 1] < threshold && base + lanes[at + 2] < threshold && base + lanes[at + 3] < threshold) continue;
      for (let m = g * G, end = Math.min(m + G, ids.length); m < end; m++) {
        const s = base + scores[m];
        if (s < threshold || mask[m] !== 0) continue;
        const id = ids[m];
        if (exclude && exclude(id)) continue;
        top.offer(id, s);
        threshold = top.threshold;
      }
    }
  }

  /**
   * `sweep` without movie biases, over the movies in descending order of their vector's length,
   * SWEEP_GROUPS groups of 16 at a time, stopping once no movie left can enter the heap: by
   * Cauchy–Schwarz x·y ≤ |x|·|y|, and every movie left is no longer than the first of them, so
   * when base + |x|·|y_first|, widened past the single-precision sweep's rounding, is below the
   * heap's threshold, none can reach it. Every movie that could enter is offered with the score
   * the whole sweep gives it, and the heap keeps the same n whatever order they come in: the
   * result is the whole sweep's. The n best are usually among the longest few per cent.
   */
  private sweepByNorm(top: TopN, x: Float64Array, base: number, exclude?: (movieId: number) => boolean): void {
    const byNorm = this.normOrder();
    const { scorer, order, lengths } = byNorm;
    const ids = this.movies.ids;
    const mask = this.mask;
    const G = MovieScorer.GROUP;
    const lanes = scorer.laneMax;
    const groups = scorer.groups;
    let xx = 0;
    for (let c = 0; c < this.rank; c++) xx += x[c] * x[c];
    const reach = Math.sqrt(xx) * (1 + BOUND_SLACK);
    let threshold = -Infinity;
    for (let from = 0; from < groups; from += SWEEP_GROUPS) {
      if (base + (reach * lengths[from * G] + BOUND_FLOOR) < threshold) return;
      const to = Math.min(groups, from + SWEEP_GROUPS);
      const scores = scorer.dotsOfGroups(x, from, to);
      for (let g = from, at = 4 * from; g < to; g++, at += 4) {
        if (base + lanes[at] < threshold && base + lanes[at + 1] < threshold && base + lanes[at + 2] < threshold && base + lanes[at + 3] < threshold) continue;
        for (let p = g * G, end = Math.min(p + G, order.length); p < end; p++) {
          const s = base + scores[p];
          const m = order[p];
          if (s < threshold || mask[m] !== 0) continue;
          const id = ids[m];
          if (exclude && exclude(id)) continue;
          top.offer(id, s);
          threshold = top.threshold;
        }
      }
    }
  }

  /** The movies by descending vector length, with a scorer over their rows in that order: built on first use. */
  private normOrder(): { scorer: MovieScorer; order: Int32Array; lengths: Float64Array } {
    if (this.byNorm === null) {
      const k = this.rank;
      const rows = this.movies.size;
      const length = new Float64Array(rows);
      for (let m = 0; m < rows; m++) {
        let s = 0;
        for (let c = 0, at = m * k; c < k; c++) s += this.movieFactors[at + c] * this.movieFactors[at + c];
        length[m] = Math.sqrt(s);
      }
      // NaN lengths (a broken row) first: they never let the bound stop the sweep before them.
      const order = Int32Array.from(length.keys()).sort((a, b) => (Number.isNaN(length[a]) ? -1 : Number.isNaN(length[b]) ? 1 : length[b] - length[a] || a - b));
      const permuted = new Float32Array(rows * k);
      const lengths = new Float64Array(rows);
      for (let p = 0; p < rows; p++) {
        permuted.set(this.movieFactors.subarray(order[p] * k, (order[p] + 1) * k), p * k);
        lengths[p] = length[order[p]];
      }
      this.byNorm = { scorer: new MovieScorer(permuted, rows, k), order, lengths };
    }
    return this.byNorm;
  }

  /**
   * The n movies whose factor vectors have the highest cosine similarity with the movie's (biases
   * left out: they say how liked a movie is, not what it is like). score = that cosine clamped to
   * [0, 1] (a negative cosine, an opposite taste, is 0: no similarity). Movies with an all-zero
   * vector have no direction and are skipped; [] for an unknown movie.
   */
  similar(movieId: number, n: number): Scored[] {
    const i = this.movies.index(movieId);
    if (i < 0 || !(n >= 1)) return [];
    const norms = this.norms();
    if (norms[i] === 0) return [];
    const ids = this.movies.ids;
    const dots = this.scorer().dots(this.movieFactors.subarray(i * this.rank, (i + 1) * this.rank));
    const top = new TopN(Math.floor(n));
    let threshold = -Infinity;
    for (let m = 0; m < ids.length; m++) {
      if (m === i || norms[m] === 0) continue;
      const s = dots[m] / (norms[i] * norms[m]);
      if (s < threshold) continue;
      top.offer(ids[m], s < 0 ? 0 : s > 1 ? 1 : s);
      threshold = top.threshold;
    }
    return top.result();
  }

  /** Built on first use: a model loaded only to predict never pays for it. */
  private scorer(): MovieScorer {
    return (this.movieScorer ??= new MovieScorer(this.movieFactors, this.movies.size, this.rank, this.movieBias));
  }

  private norms(): Float32Array {
    if (this.movieNorms === null) {
      const k = this.rank;
      const norms = new Float32Array(this.movies.size);
      for (let m = 0; m < norms.length; m++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += this.movieFactors[m * k + c] ** 2;
        norms[m] = Math.sqrt(s);
      }
      this.movieNorms = norms;
    }
    return this.movieNorms;
  }
}
