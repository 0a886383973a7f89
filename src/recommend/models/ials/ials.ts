// The implicit-feedback ALS model: a user's ranking score for a movie is x_u·y_i, the predicted
// preference (near 1: they would watch it; near 0: not), trained by `trainIals` (ials-train.ts).
// It models WHICH movies a person rates, not how they rate them, so its `predict` is a rating
// baseline (μ + b_u + b_i, damped), and its scores are not ratings. A user who is unknown, or whose
// history has ratings newer than training (`history.fresh`), is folded in: the exact least-squares
// solve of their row against the fixed movie factors (ials-solve.ts), so new ratings count at once.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Interactions } from '../../data/interactions.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from '../array-file.js';
import { checkFactorShapes, FactorTable, readFactorArrays, type FactorArrays } from '../factor-model.js';
import { clamp, HistoryCache, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';
import { checkIalsParams, confidenceWeight, type IalsParams } from './ials-params.js';
import { IalsRowSolver, regularisedGram } from './ials-solve.js';

export const IALS_FILE = 'ials.bin';
const FORMAT = 'streamrec-ials';
const FORMAT_VERSION = 1;
/** Fold-ins kept: a request folds a user in once for recommend and every predict that follows. */
const FOLD_IN_CACHE = 64;
/** Pseudo-ratings at the mean that damp the baseline's biases (as item-CF's baseline). */
const ITEM_BIAS_DAMPING = 25;
const USER_BIAS_DAMPING = 10;

/** The factor arrays (ids ascending) and what iALS keeps beside them. */
export interface IalsFactors extends FactorArrays {
  rank: number;
  /** The rating baseline behind `predict`: the training mean and damped movie biases. */
  globalMean: number;
  itemBias: Float32Array;
  scale: { min: number; max: number };
  params: IalsParams;
}

interface IalsMeta {
  format: string;
  version: number;
  rank: number;
  globalMean: number;
  scale: { min: number; max: number };
  params: IalsParams;
}

/**
 * Fallbacks, never an exception:
 * - recommend, no vector for the user (unknown, and no movie of their history is known): [], so
 *   the caller's popularity fallback answers;
 * - predict: the baseline μ + b_u + b_i (μ + b_u for an unknown movie), b_u from the history given;
 * - similar, unknown movie or one with an all-zero vector: [].
 */
export class IalsModel implements Recommender {
  readonly name = 'ials' as const;
  readonly rank: number;
  readonly scale: { min: number; max: number };
  readonly globalMean: number;
  readonly params: Readonly<IalsParams>;
  private readonly table: FactorTable;
  private readonly itemBias: Float32Array;
  private solver: IalsRowSolver | null = null;
  private readonly folded = new HistoryCache<Float64Array | null>(FOLD_IN_CACHE);

  private constructor(f: IalsFactors) {
    this.rank = f.rank;
    this.scale = { min: f.scale.min, max: f.scale.max };
    this.globalMean = f.globalMean;
    this.params = Object.freeze({ ...f.params });
    this.table = new FactorTable(f, f.rank);
    this.itemBias = f.itemBias;
  }

  /** A model from factor matrices; throws an error naming the field when shapes or ids are wrong. */
  static fromFactors(f: IalsFactors): IalsModel {
    const where = 'IalsModel.fromFactors';
    const params = checkIalsParams(f.params);
    if (f.rank !== params.rank) throw new Error(`${where}: rank ${f.rank} differs from params.rank ${params.rank}`);
    checkFactorShapes(f, where);
    if (f.itemBias.length !== f.movieIds.length) throw new Error(`${where}: itemBias has ${f.itemBias.length} values, expected ${f.movieIds.length}`);
    if (!(f.scale.min < f.scale.max)) throw new Error(`${where}: scale.min must be below scale.max (got ${f.scale.min}–${f.scale.max})`);
    if (!Number.isFinite(f.globalMean)) throw new Error(`${where}: globalMean must be finite (got ${f.globalMean})`);
    ascending(f.userIds, `${where}: userIds`);
    ascending(f.movieIds, `${where}: movieIds`);
    return new IalsModel({ ...f, params });
  }

  /** Reads `<dir>/ials.bin`; a damaged or inconsistent file throws CorruptArtefactError. */
  static load(dir: string): IalsModel {
    const path = join(dir, IALS_FILE);
    const file = readArrayFile<IalsMeta>(path);
    const meta = file.meta;
    if (typeof meta !== 'object' || meta === null || meta.format !== FORMAT) throw new CorruptArtefactError(`${path}: not an iALS model`);
    if (meta.version !== FORMAT_VERSION) throw new CorruptArtefactError(`${path}: iALS format version ${String(meta.version)}, this build reads ${FORMAT_VERSION}`);
    try {
      return IalsModel.fromFactors({
        ...readFactorArrays(file, path),
        itemBias: arrayOf(file, 'itemBias', Float32Array, path),
        rank: meta.rank,
        globalMean: meta.globalMean,
        scale: meta.scale,
        params: meta.params,
      });
    } catch (err) {
      if (err instanceof CorruptArtefactError) throw err;
      throw new CorruptArtefactError(`${path}: ${(err as Error).message}`);
    }
  }

  /** Writes `<dir>/ials.bin` (creating dir); returns the file names written. */
  save(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const meta: IalsMeta = { format: FORMAT, version: FORMAT_VERSION, rank: this.rank, globalMean: this.globalMean, scale: this.scale, params: { ...this.params } };
    writeArrayFile(join(dir, IALS_FILE), meta, { ...this.table.arrays(), itemBias: this.itemBias });
    return [IALS_FILE];
  }

  get userCount(): number {
    return this.table.users.size;
  }

  get movieCount(): number {
    return this.table.movies.size;
  }

  knowsUser(userId: number): boolean {
    return this.table.users.index(userId) >= 0;
  }

  knowsMovie(movieId: number): boolean {
    return this.table.movies.index(movieId) >= 0;
  }

  /** A known user's trained factors (a copy), or null. */
  userVector(userId: number): Float32Array | null {
    return this.table.userRow(userId);
  }

  /** A known movie's factors (a copy), or null. */
  movieVector(movieId: number): Float32Array | null {
    return this.table.movieRow(movieId);
  }

  /**
   * The user's factors from their history alone: the exact solve of
   * (YᵀY + λI + Σ w y yᵀ) x = Σ (1 + w) y over the history's known movies, w the confidence weight
   * of each rating — the system each training step approaches by conjugate gradient. Unknown movies
   * and non-finite ratings are ignored; null when none is left.
   */
  foldIn(history: UserHistory): Float64Array | null {
    const { cols, ratings, kept } = this.table.knownHistory(history);
    if (kept === 0) return null;
    const weights = Float64Array.from(ratings, (r) => confidenceWeight(r, this.params));
    const { movieFactors, movies } = this.table;
    this.solver ??= new IalsRowSolver(this.rank, regularisedGram(movieFactors, movies.size, this.rank, this.params.lambda));
    const x = this.solver.solve(cols, weights, kept, movieFactors);
    return x === null ? null : Float64Array.from(x);
  }

  /** The damped baseline μ + b_u + b_i, clamped (iALS predicts no ratings; see the file's head). */
  predict(user: UserHistory, movieId: number): number {
    return this.baseline(this.userBias(user), movieId);
  }

  /** `predict` for each movie, the user's bias computed once. */
  predictMany(user: UserHistory, movieIds: ArrayLike<number>): Float64Array {
    const out = new Float64Array(movieIds.length);
    if (movieIds.length === 0) return out;
    const bu = this.userBias(user);
    for (let i = 0; i < movieIds.length; i++) out[i] = this.baseline(bu, movieIds[i]);
    return out;
  }

  /** μ + b_u + b_i, clamped (μ + b_u for a movie it does not know). */
  private baseline(bu: number, movieId: number): number {
    const m = this.table.movies.index(movieId);
    return clamp(this.globalMean + bu + (m >= 0 ? this.itemBias[m] : 0), this.scale);
  }

  /** The damped user bias b_u = Σ(r − μ − b_j) / (n + 10) over the history's finite ratings. */
  private userBias(user: UserHistory): number {
    const movies = this.table.movies;
    const n = Math.min(user.movies.length, user.ratings.length);
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const j = movies.index(user.movies[i]);
      const r = user.ratings[i];
      if (!Number.isFinite(r)) continue;
      sum += r - this.globalMean - (j >= 0 ? this.itemBias[j] : 0);
      count++;
    }
    return sum / (count + USER_BIAS_DAMPING);
  }

  /**
   * The n movies with the highest preference x_u·y_i (over every known movie, or only the known
   * `options.candidates`), the history and `exclude` left out; score = that preference (single
   * precision, SIMD, over the whole catalogue).
   */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1) || !this.resolveUser(user)) return [];
    const top = new TopN(Math.floor(n));
    const { exclude, candidates } = options;
    const t = this.table;
    const ids = t.movies.ids;
    const u = t.userVec;
    const k = this.rank;
    const q = t.movieFactors;
    const historyLength = Math.min(user.movies.length, user.ratings.length);
    for (let i = 0; i < historyLength; i++) {
      const m = t.movies.index(user.movies[i]);
      if (m >= 0) t.mark(m);
    }
    try {
      if (candidates) {
        for (let i = 0; i < candidates.length; i++) {
          const m = t.movies.index(candidates[i]);
          if (m < 0 || !t.mark(m)) continue;
          if (exclude && exclude(ids[m])) continue;
          let s = 0;
          for (let c = 0, off = m * k; c < k; c++) s += u[c] * q[off + c];
          top.offer(ids[m], Math.fround(s));
        }
        return top.result();
      }
      t.sweep(top, u, 0, exclude);
      return top.result();
    } finally {
      t.unmarkAll();
    }
  }

  /**
   * The n movies whose factor vectors have the highest cosine similarity with the movie's;
   * score = that cosine clamped to [0, 1]. Movies with an all-zero vector are skipped.
   */
  similar(movieId: number, n: number): Scored[] {
    return this.table.similar(movieId, n);
  }

  /**
   * Puts the user's factors in `userVec`; false when there are none: trained factors for a known
   * user (unless fresh), else the fold-in of the history, kept while the history is the same.
   */
  private resolveUser(user: UserHistory): boolean {
    const u = this.table.users.index(user.userId);
    if (u < 0 || user.fresh === true) {
      const folded = this.folded.get(user, (h) => this.foldIn(h));
      if (folded !== null) {
        this.table.userVec.set(folded);
        return true;
      }
    }
    if (u < 0) return false;
    this.table.useTrained(u);
    return true;
  }
}

/** Damped movie biases of the baseline: b_i = Σ(r − μ) / (n_i + 25) over the movie's ratings. */
export function baselineItemBias(data: Interactions): Float32Array {
  const bias = new Float32Array(data.movies.size);
  for (let m = 0; m < bias.length; m++) {
    let sum = 0;
    for (let e = data.moviePtr[m]; e < data.moviePtr[m + 1]; e++) sum += data.movieRatings[e] - data.globalMean;
    bias[m] = sum / (data.moviePtr[m + 1] - data.moviePtr[m] + ITEM_BIAS_DAMPING);
  }
  return bias;
}

function ascending(ids: Int32Array, what: string): void {
  for (let i = 1; i < ids.length; i++) if (!(ids[i - 1] < ids[i])) throw new Error(`${what}: ids must be ascending and distinct (${ids[i - 1]} then ${ids[i]})`);
}
