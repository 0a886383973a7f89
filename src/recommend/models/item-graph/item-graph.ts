// The RP3beta model as served: a user's score for movie j is Σ W[i][j] over the movies i in their
// history (item-graph-train.ts fits W, pruned to each row's heaviest), so a history is all it
// needs — ratings that arrived a moment ago count at the next request.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IdIndex } from '../../data/interactions.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from '../array-file.js';
import { baselinePrediction } from '../baseline-predictor.js';
import { TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';
import type { ItemGraphParams } from './item-graph-params.js';

export interface ItemGraphState {
  params: ItemGraphParams;
  users: IdIndex;
  movies: IdIndex;
  globalMean: number;
  scale: { min: number; max: number };
  itemBias: Float32Array;
  /** W's kept rows by dense movie index: nbrIds[nbrPtr[i]..nbrPtr[i+1]), heaviest first. */
  nbrPtr: Int32Array;
  nbrIds: Int32Array;
  nbrWeights: Float32Array;
  /** W[i][i], the walk's weight back to i: what `similar` measures a row against. */
  selfWeight: Float32Array;
}

interface ItemGraphMeta {
  format: string;
  version: number;
  params: ItemGraphParams;
  globalMean: number;
  scale: { min: number; max: number };
}

const FORMAT = 'rp3beta';
const VERSION = 1;
const FILE = 'rp3beta.bin';

/**
 * Fallbacks, never an exception:
 * - predict: RP3beta ranks, it does not model ratings: the damped baseline μ + b_u + b_i;
 * - recommend, no history movie with neighbours (an unknown or new user): [], so the caller's
 *   popularity fallback answers;
 * - similar, unknown movie: [].
 */
export class ItemGraphModel implements Recommender {
  readonly name = 'rp3beta' as const;
  readonly scale: { min: number; max: number };
  readonly params: ItemGraphParams;
  private readonly s: ItemGraphState;
  // Per-call scratch by dense movie index; an entry counts only when its stamp is the call's epoch.
  private epoch = 0;
  private readonly ratedStamp: Int32Array;
  private readonly scoreStamp: Int32Array;
  private readonly score: Float64Array;

  constructor(state: ItemGraphState) {
    this.s = state;
    this.scale = state.scale;
    this.params = state.params;
    const m = state.movies.size;
    this.ratedStamp = new Int32Array(m);
    this.scoreStamp = new Int32Array(m);
    this.score = new Float64Array(m);
  }

  /** W[i][j] as kept (0 when pruned or unknown). */
  weight(fromMovieId: number, toMovieId: number): number {
    const { s } = this;
    const i = s.movies.index(fromMovieId);
    const j = s.movies.index(toMovieId);
    if (i < 0 || j < 0) return 0;
    for (let k = s.nbrPtr[i]; k < s.nbrPtr[i + 1]; k++) if (s.nbrIds[k] === j) return s.nbrWeights[k];
    return 0;
  }

  knowsUser(userId: number): boolean {
    return this.s.users.index(userId) >= 0;
  }

  knowsMovie(movieId: number): boolean {
    return this.s.movies.index(movieId) >= 0;
  }

  predict(user: UserHistory, movieId: number): number {
    const { s } = this;
    return baselinePrediction(user, movieId, s.movies, s.itemBias, s.globalMean, s.scale);
  }

  /**
   * score(j) = Σ W[i][j] over the history movies i (whatever the rating) that kept j. Only movies
   * reached that way are ranked; with `candidates`, the known candidates are scored (0 when not
   * reached). [] when no history movie has neighbours.
   */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const { s } = this;
    if (this.epoch === 0x7fffffff) {
      this.epoch = 0;
      this.ratedStamp.fill(0);
      this.scoreStamp.fill(0);
    }
    const epoch = ++this.epoch;
    for (let h = 0; h < user.movies.length; h++) {
      const i = s.movies.index(user.movies[h]);
      if (i >= 0) this.ratedStamp[i] = epoch;
    }
    const touched: number[] = [];
    for (let h = 0; h < user.movies.length; h++) {
      const i = s.movies.index(user.movies[h]);
      // A movie listed twice in a history counts once, as in training.
      if (i < 0 || this.ratedStamp[i] !== epoch) continue;
      this.ratedStamp[i] = -epoch;
      for (let k = s.nbrPtr[i]; k < s.nbrPtr[i + 1]; k++) {
        const j = s.nbrIds[k];
        if (this.scoreStamp[j] !== epoch) {
          this.scoreStamp[j] = epoch;
          this.score[j] = 0;
          touched.push(j);
        }
        this.score[j] += s.nbrWeights[k];
      }
    }
    if (touched.length === 0) return [];
    const top = new TopN(Math.floor(n));
    const { exclude, candidates } = options;
    const consider = (j: number, score: number) => {
      if (score < top.threshold || this.ratedStamp[j] === -epoch) return;
      const id = s.movies.ids[j];
      if (exclude !== undefined && exclude(id)) return;
      top.offer(id, score);
    };
    if (candidates !== undefined) {
      const offered = new Set<number>();
      for (const id of candidates) {
        const j = s.movies.index(id);
        if (j < 0 || offered.has(j)) continue;
        offered.add(j);
        consider(j, this.scoreStamp[j] === epoch ? this.score[j] : 0);
      }
    } else {
      for (const j of touched) consider(j, this.score[j]);
    }
    return top.result();
  }

  /**
   * The movie's kept out-neighbours, heaviest first; score = W[i][j] / W[i][i], the walk's weight
   * to j against its weight back to i, capped at 1. With β = 0 it is the (1/n_u-weighted) share of
   * the movie's raters who also rated j; β > 0 favours less popular movies, as the ranking does.
   */
  similar(movieId: number, n: number): Scored[] {
    const { s } = this;
    const i = s.movies.index(movieId);
    if (i < 0 || !(n >= 1)) return [];
    const self = s.selfWeight[i];
    const out: Scored[] = [];
    for (let k = s.nbrPtr[i]; k < s.nbrPtr[i + 1] && out.length < n; k++) {
      out.push({ movieId: s.movies.ids[s.nbrIds[k]], score: self > 0 ? Math.min(1, s.nbrWeights[k] / self) : 0 });
    }
    return out;
  }

  /** Writes `<dir>/rp3beta.bin`; returns the files written. */
  save(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, FILE);
    const { s } = this;
    const meta: ItemGraphMeta = { format: FORMAT, version: VERSION, params: s.params, globalMean: s.globalMean, scale: s.scale };
    writeArrayFile(path, meta, {
      users: s.users.ids,
      movies: s.movies.ids,
      itemBias: s.itemBias,
      nbrPtr: s.nbrPtr,
      nbrIds: s.nbrIds,
      nbrWeights: s.nbrWeights,
      selfWeight: s.selfWeight,
    });
    return [path];
  }

  /** Reads `<dir>/rp3beta.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): ItemGraphModel {
    const path = join(dir, FILE);
    const file = readArrayFile<ItemGraphMeta>(path);
    const meta = file.meta;
    if (meta?.format !== FORMAT || meta.version !== VERSION) throw new CorruptArtefactError(`${path}: not an RP3beta model (format ${String(meta?.format)} v${String(meta?.version)})`);
    const movies = arrayOf(file, 'movies', Int32Array, path);
    const itemBias = arrayOf(file, 'itemBias', Float32Array, path);
    const nbrPtr = arrayOf(file, 'nbrPtr', Int32Array, path);
    const nbrIds = arrayOf(file, 'nbrIds', Int32Array, path);
    const nbrWeights = arrayOf(file, 'nbrWeights', Float32Array, path);
    const selfWeight = arrayOf(file, 'selfWeight', Float32Array, path);
    const m = movies.length;
    if (itemBias.length !== m || nbrPtr.length !== m + 1 || selfWeight.length !== m || nbrWeights.length !== nbrIds.length || nbrPtr[m] !== nbrIds.length) {
      throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    }
    for (let k = 0; k < nbrIds.length; k++) if (nbrIds[k] < 0 || nbrIds[k] >= m) throw new CorruptArtefactError(`${path}: neighbour index ${nbrIds[k]} out of range`);
    return new ItemGraphModel({
      params: meta.params,
      users: new IdIndex(arrayOf(file, 'users', Int32Array, path)),
      movies: new IdIndex(movies),
      globalMean: meta.globalMean,
      scale: meta.scale,
      itemBias,
      nbrPtr,
      nbrIds,
      nbrWeights,
      selfWeight,
    });
  }
}
