// The RP3beta model as served: a user's score for movie j is Σ W[i][j] over the movies i in their
// history (item-graph-train.ts fits W, pruned to each row's heaviest), so a history is all it
// needs — ratings that arrived a moment ago count at the next request.
import { arrayOf, CorruptArtefactError } from '../array-file.js';
import type { RecommendOptions, Scored, UserHistory } from '../recommender.js';
import { CallScratch } from '../item-item/call-scratch.js';
import { loadedState, openItemItemFile, writeItemItemFile, type ItemItemArtefact } from '../item-item/item-item-file.js';
import { ItemItemModel, type ItemItemState } from '../item-item/item-item-model.js';
import { checkNeighbourRows, rowNeighbours } from '../item-item/neighbour-rows.js';
import { topScored } from '../item-item/top-scored.js';
import type { ItemGraphParams } from './item-graph-params.js';

export interface ItemGraphState extends ItemItemState<ItemGraphParams> {
  /** W's kept rows by dense movie index: nbrIds[nbrPtr[i]..nbrPtr[i+1]), heaviest first. */
  nbrPtr: Int32Array;
  nbrIds: Int32Array;
  nbrWeights: Float32Array;
  /** W[i][i], the walk's weight back to i: what `similar` measures a row against. */
  selfWeight: Float32Array;
}

const ARTEFACT: ItemItemArtefact = { format: 'rp3beta', version: 1, file: 'rp3beta.bin', what: 'an RP3beta model' };

/**
 * Fallbacks, never an exception:
 * - predict: RP3beta ranks, it does not model ratings: the damped baseline μ + b_u + b_i;
 * - recommend, no history movie with neighbours (an unknown or new user): [], so the caller's
 *   popularity fallback answers;
 * - similar, unknown movie: [].
 */
export class ItemGraphModel extends ItemItemModel<ItemGraphState> {
  readonly name = 'rp3beta' as const;
  /** By dense movie index. */
  private readonly scratch: CallScratch;

  constructor(state: ItemGraphState) {
    super(state);
    this.scratch = new CallScratch(state.movies.size);
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

  /**
   * score(j) = Σ W[i][j] over the history movies i (whatever the rating) that kept j. Only movies
   * reached that way are ranked; with `candidates`, the known candidates are scored (0 when not
   * reached). [] when no history movie has neighbours.
   */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const { s, scratch } = this;
    scratch.begin();
    for (let h = 0; h < user.movies.length; h++) {
      const i = s.movies.index(user.movies[h]);
      // A movie listed twice in a history counts once, as in training.
      if (i < 0 || !scratch.markRated(i)) continue;
      for (let k = s.nbrPtr[i]; k < s.nbrPtr[i + 1]; k++) scratch.add(s.nbrIds[k], s.nbrWeights[k]);
    }
    if (scratch.touched.length === 0) return [];
    return topScored({ n, options, index: s.movies, scratch, kernel: 'sparse' });
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
    return rowNeighbours(s.nbrPtr, s.nbrIds, s.movies.ids, i, n, (k) => (self > 0 ? Math.min(1, s.nbrWeights[k] / self) : 0));
  }

  /** Writes `<dir>/rp3beta.bin`; returns the files written. */
  save(dir: string): string[] {
    const { s } = this;
    return writeItemItemFile(dir, ARTEFACT, s, { nbrPtr: s.nbrPtr, nbrIds: s.nbrIds, nbrWeights: s.nbrWeights, selfWeight: s.selfWeight });
  }

  /** Reads `<dir>/rp3beta.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): ItemGraphModel {
    const { path, file } = openItemItemFile<ItemGraphParams>(dir, ARTEFACT);
    const movies = arrayOf(file, 'movies', Int32Array, path);
    const itemBias = arrayOf(file, 'itemBias', Float32Array, path);
    const nbrPtr = arrayOf(file, 'nbrPtr', Int32Array, path);
    const nbrIds = arrayOf(file, 'nbrIds', Int32Array, path);
    const nbrWeights = arrayOf(file, 'nbrWeights', Float32Array, path);
    const selfWeight = arrayOf(file, 'selfWeight', Float32Array, path);
    const m = movies.length;
    if (itemBias.length !== m || selfWeight.length !== m) throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    checkNeighbourRows(path, m, nbrPtr, nbrIds, nbrWeights);
    return new ItemGraphModel({ ...loadedState(path, file, movies, itemBias), nbrPtr, nbrIds, nbrWeights, selfWeight });
  }
}
