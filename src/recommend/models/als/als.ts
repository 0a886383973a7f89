// The ALS model: r̂ = μ + b_u + b_i + p_u·q_i, clamped to the training scale. Trained by
// `trainAls` (als-train.ts) or imported from Spark MLlib factors (no biases, μ = 0) through
// `fromFactors`. A user who is unknown, or whose history has ratings newer than training
// (`history.fresh`), is folded in: their least-squares solve against the fixed movie factors,
// the same solve training makes, so new ratings count at once without retraining.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RowSolver } from './als-solve.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from '../array-file.js';
import { checkFactorShapes, FactorTable, readFactorArrays, type FactorArrays } from '../factor-model.js';
import { clamp, HistoryCache, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';

export const ALS_FILE = 'als.bin';
const FORMAT = 'streamrec-als';
const FORMAT_VERSION = 1;
/** MovieLens' half-star scale, for factors imported without one. */
const DEFAULT_SCALE = { min: 0.5, max: 5 };
/** λ for fold-in when the params name none (Spark's default regParam is 0.1). */
const DEFAULT_FOLD_IN_LAMBDA = 0.1;
/** Fold-ins kept: a request folds a user in once for recommend and every predict that follows. */
const FOLD_IN_CACHE = 64;

/** The factor arrays (ids in any order: they are sorted, with their rows, if needed) and what ALS keeps beside them. */
export interface AlsFactors extends FactorArrays {
  rank: number;
  /** Default 0 (Spark's models have no mean or biases). */
  globalMean?: number;
  userBias?: Float32Array;
  movieBias?: Float32Array;
  /** Default MovieLens' 0.5–5. */
  scale?: { min: number; max: number };
  /**
   * Training parameters; `lambda` (or Spark's `regParam`) and `biasLambda` set the fold-in's
   * regularisation (default 0.1, and biasLambda = lambda).
   */
  params?: Record<string, unknown>;
}

export interface UserVector {
  factors: Float32Array;
  bias: number;
}

interface AlsMeta {
  format: string;
  version: number;
  rank: number;
  globalMean: number;
  scale: { min: number; max: number };
  hasBiases: boolean;
  params: Record<string, unknown>;
}

export class AlsModel implements Recommender {
  readonly name = 'als' as const;
  readonly rank: number;
  readonly scale: { min: number; max: number };
  readonly globalMean: number;
  readonly params: Readonly<Record<string, unknown>>;
  /** False for factors imported without biases: fold-in then solves the factors alone. */
  readonly hasBiases: boolean;
  private readonly table: FactorTable;
  private readonly userBias: Float32Array;
  private readonly movieBias: Float32Array;
  private readonly solver: RowSolver;
  private zeroVector: Float64Array | null = null;
  private readonly folded = new HistoryCache<UserVector | null>(FOLD_IN_CACHE);

  private constructor(f: Required<Omit<AlsFactors, 'userBias' | 'movieBias'>> & { userBias: Float32Array; movieBias: Float32Array; hasBiases: boolean }) {
    this.rank = f.rank;
    this.scale = { min: f.scale.min, max: f.scale.max };
    this.globalMean = f.globalMean;
    this.params = Object.freeze({ ...f.params });
    this.hasBiases = f.hasBiases;
    // The sweep adds each movie's bias to x·y: its score is b_i + p·q.
    this.table = new FactorTable(f, f.rank, f.movieBias);
    this.userBias = f.userBias;
    this.movieBias = f.movieBias;
    const lambda = positive(f.params.lambda) ?? positive(f.params.regParam) ?? DEFAULT_FOLD_IN_LAMBDA;
    const biasLambda = typeof f.params.biasLambda === 'number' && f.params.biasLambda >= 0 ? f.params.biasLambda : lambda;
    this.solver = new RowSolver(f.rank, lambda, biasLambda, f.globalMean, f.hasBiases);
  }

  /**
   * A model from factor matrices, e.g. Spark MLlib's `userFactors`/`itemFactors`. Throws an error
   * naming the field when the shapes disagree or an id repeats.
   */
  static fromFactors(f: AlsFactors): AlsModel {
    const where = 'AlsModel.fromFactors';
    if (!Number.isInteger(f.rank) || f.rank < 1) throw new Error(`${where}: rank must be a positive integer (got ${f.rank})`);
    checkFactorShapes(f, where);
    const nu = f.userIds.length;
    const nm = f.movieIds.length;
    if (f.userBias && f.userBias.length !== nu) throw new Error(`${where}: userBias has ${f.userBias.length} values, expected ${nu}`);
    if (f.movieBias && f.movieBias.length !== nm) throw new Error(`${where}: movieBias has ${f.movieBias.length} values, expected ${nm}`);
    const scale = f.scale ?? DEFAULT_SCALE;
    if (!(scale.min < scale.max)) throw new Error(`${where}: scale.min must be below scale.max (got ${scale.min}–${scale.max})`);
    const globalMean = f.globalMean ?? 0;
    if (!Number.isFinite(globalMean)) throw new Error(`${where}: globalMean must be finite (got ${globalMean})`);
    const users = sortedRows(f.userIds, f.userFactors, f.userBias ?? new Float32Array(nu), f.rank, `${where}: userIds`);
    const movies = sortedRows(f.movieIds, f.movieFactors, f.movieBias ?? new Float32Array(nm), f.rank, `${where}: movieIds`);
    return new AlsModel({
      rank: f.rank,
      scale,
      globalMean,
      params: f.params ?? {},
      hasBiases: f.userBias !== undefined || f.movieBias !== undefined,
      userIds: users.ids,
      userFactors: users.factors,
      userBias: users.bias,
      movieIds: movies.ids,
      movieFactors: movies.factors,
      movieBias: movies.bias,
    });
  }

  /** Reads `<dir>/als.bin`; a damaged or inconsistent file throws CorruptArtefactError. */
  static load(dir: string): AlsModel {
    const path = join(dir, ALS_FILE);
    const file = readArrayFile<AlsMeta>(path);
    const meta = file.meta;
    if (typeof meta !== 'object' || meta === null || meta.format !== FORMAT) throw new CorruptArtefactError(`${path}: not an ALS model`);
    if (meta.version !== FORMAT_VERSION) throw new CorruptArtefactError(`${path}: ALS format version ${String(meta.version)}, this build reads ${FORMAT_VERSION}`);
    const factors = readFactorArrays(file, path);
    const userBias = arrayOf(file, 'userBias', Float32Array, path);
    const movieBias = arrayOf(file, 'movieBias', Float32Array, path);
    try {
      return AlsModel.fromFactors({
        ...factors,
        rank: meta.rank,
        globalMean: meta.globalMean,
        scale: meta.scale,
        params: meta.params,
        ...(meta.hasBiases ? { userBias, movieBias } : {}),
      });
    } catch (err) {
      throw new CorruptArtefactError(`${path}: ${(err as Error).message}`);
    }
  }

  /** Writes `<dir>/als.bin` (creating dir); returns the file names written. */
  save(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const meta: AlsMeta = {
      format: FORMAT,
      version: FORMAT_VERSION,
      rank: this.rank,
      globalMean: this.globalMean,
      scale: this.scale,
      hasBiases: this.hasBiases,
      params: { ...this.params },
    };
    writeArrayFile(join(dir, ALS_FILE), meta, { ...this.table.arrays(), userBias: this.userBias, movieBias: this.movieBias });
    return [ALS_FILE];
  }

  get userCount(): number {
    return this.table.users.size;
  }

  get movieCount(): number {
    return this.table.movies.size;
  }

  /** The known user ids, ascending. */
  get userIds(): Int32Array {
    return this.table.users.ids;
  }

  /** The known movie ids, ascending. */
  get movieIds(): Int32Array {
    return this.table.movies.ids;
  }

  knowsUser(userId: number): boolean {
    return this.table.users.index(userId) >= 0;
  }

  knowsMovie(movieId: number): boolean {
    return this.table.movies.index(movieId) >= 0;
  }

  /** A known user's trained factors and bias (a copy), or null. */
  userVector(userId: number): UserVector | null {
    const factors = this.table.userRow(userId);
    return factors === null ? null : { factors, bias: this.userBias[this.table.users.index(userId)] };
  }

  /**
   * The user's factors and bias from their history alone: the regularised least-squares solve
   * against the fixed movie factors and biases, with training's λ·n weighting. Ratings of movies
   * the model does not know (and non-finite ratings) are ignored; null when none is left.
   */
  foldIn(history: UserHistory): UserVector | null {
    const { cols, ratings, kept } = this.table.knownHistory(history);
    if (kept === 0) return null;
    const factors = new Float32Array(this.rank);
    const bias = new Float32Array(1);
    this.solver.solve(cols, ratings, 0, kept, this.table.movieFactors, this.movieBias, factors, bias, 0);
    return { factors, bias: bias[0] };
  }

  /**
   * μ + b_u + b_i + p_u·q_i, clamped. A known user uses their trained factors unless
   * `history.fresh`; otherwise (unknown or fresh) the history is folded in. Without a user
   * vector (no known movie in the history) it is μ + b_i; for an unknown movie, μ + b_u.
   */
  predict(user: UserHistory, movieId: number): number {
    return this.predictResolved(this.resolveUser(user), movieId);
  }

  /** `predict` for each movie, the user's vector resolved once. */
  predictMany(user: UserHistory, movieIds: ArrayLike<number>): Float64Array {
    const out = new Float64Array(movieIds.length);
    if (movieIds.length === 0) return out;
    const userBias = this.resolveUser(user);
    for (let i = 0; i < movieIds.length; i++) out[i] = this.predictResolved(userBias, movieIds[i]);
    return out;
  }

  /** predict once `resolveUser` has put the user's vector in scratch and given their bias (null: none). */
  private predictResolved(userBias: number | null, movieId: number): number {
    const has = userBias !== null;
    const m = this.table.movies.index(movieId);
    let r = this.globalMean + (has ? userBias : 0);
    if (m >= 0) {
      r += this.movieBias[m];
      if (has) {
        const q = this.table.movieFactors;
        const u = this.table.userVec;
        const off = m * this.rank;
        for (let c = 0; c < this.rank; c++) r += u[c] * q[off + c];
      }
    }
    return clamp(r, this.scale);
  }

  /**
   * The n movies with the highest predicted rating, scoring every known movie (or only
   * `options.candidates`), the user's history and `exclude` left out. The score is the predicted
   * rating before clamping, so the order is the model's own even above the top of the scale
   * (over the whole catalogue b_i + p·q is computed in single precision, SIMD: a score may differ
   * from `predict` in the 7th digit). A candidate the model does not know scores μ + b_u.
   */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const userBias = this.resolveUser(user);
    const has = userBias !== null;
    const base = this.globalMean + (has ? userBias : 0);
    const top = new TopN(Math.floor(n));
    const { exclude, candidates } = options;
    const t = this.table;
    const q = t.movieFactors;
    const bi = this.movieBias;
    const u = t.userVec;
    const k = has ? this.rank : 0;
    const rank = this.rank;
    const historyLength = Math.min(user.movies.length, user.ratings.length);
    let unknownSeen: Set<number> | null = null;
    for (let i = 0; i < historyLength; i++) {
      const m = t.movies.index(user.movies[i]);
      if (m >= 0) t.mark(m);
      else if (candidates) (unknownSeen ??= new Set()).add(user.movies[i]);
    }
    try {
      if (candidates) {
        for (let i = 0; i < candidates.length; i++) {
          const id = candidates[i];
          const m = t.movies.index(id);
          let s = base;
          if (m >= 0) {
            if (!t.mark(m)) continue;
            s += bi[m];
            const off = m * rank;
            for (let c = 0; c < k; c++) s += u[c] * q[off + c];
          } else {
            if (unknownSeen?.has(id)) continue;
            (unknownSeen ??= new Set()).add(id);
          }
          if (exclude && exclude(id)) continue;
          top.offer(id, s);
        }
        return top.result();
      }
      t.sweep(top, has ? u : (this.zeroVector ??= new Float64Array(rank)), base, exclude);
      return top.result();
    } finally {
      t.unmarkAll();
    }
  }

  /**
   * The n movies whose factor vectors have the highest cosine similarity with the movie's, clamped
   * to [0, 1] (FactorTable.similar: biases left out, all-zero vectors skipped, [] when unknown).
   */
  similar(movieId: number, n: number): Scored[] {
    return this.table.similar(movieId, n);
  }

  /**
   * Puts the user's factors in `userVec` and returns their bias, or null when there is no vector:
   * trained factors for a known user (unless fresh), else the fold-in of the history — a
   * least-squares solve over the whole history, so it is kept while the history is the same.
   */
  private resolveUser(user: UserHistory): number | null {
    const u = this.table.users.index(user.userId);
    if (u >= 0 && user.fresh !== true) {
      this.table.useTrained(u);
      return this.userBias[u];
    }
    const folded = this.folded.get(user, (h) => this.foldIn(h));
    if (folded !== null) {
      for (let c = 0; c < this.rank; c++) this.table.userVec[c] = folded.factors[c];
      return folded.bias;
    }
    if (u >= 0) return this.resolveUser({ ...user, fresh: false });
    return null;
  }
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 && Number.isFinite(value) ? value : undefined;
}

/** Ids ascending with their factor rows and biases, re-ordered only when they were not. */
function sortedRows(ids: Int32Array, factors: Float32Array, bias: Float32Array, rank: number, what: string): { ids: Int32Array; factors: Float32Array; bias: Float32Array } {
  let ascending = true;
  for (let i = 1; i < ids.length && ascending; i++) if (!(ids[i - 1] < ids[i])) ascending = false;
  if (ascending) return { ids, factors, bias };
  const order = Array.from(ids.keys()).sort((a, b) => ids[a] - ids[b]);
  const sortedIds = new Int32Array(ids.length);
  const sortedFactors = new Float32Array(factors.length);
  const sortedBias = new Float32Array(bias.length);
  for (let i = 0; i < order.length; i++) {
    const from = order[i];
    sortedIds[i] = ids[from];
    if (i > 0 && sortedIds[i] === sortedIds[i - 1]) throw new Error(`${what}: id ${sortedIds[i]} appears twice`);
    sortedFactors.set(factors.subarray(from * rank, (from + 1) * rank), i * rank);
    sortedBias[i] = bias[from];
  }
  return { ids: sortedIds, factors: sortedFactors, bias: sortedBias };
}
