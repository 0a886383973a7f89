// Pruned neighbour rows, as RP3beta and item-CF keep their weights: row i of a movie is
// ids[ptr[i]..ptr[i+1]) (dense movie indices, best first) with a weight each, beside them.
import { CorruptArtefactError } from '../array-file.js';
import type { Scored } from '../recommender.js';

/** Throws CorruptArtefactError when the rows of `movies` movies do not fit together. */
export function checkNeighbourRows(path: string, movies: number, ptr: Int32Array, ids: Int32Array, weights: Float32Array): void {
  if (ptr.length !== movies + 1 || weights.length !== ids.length || ptr[movies] !== ids.length) throw new CorruptArtefactError(`${path}: array lengths do not agree`);
  for (let k = 0; k < ids.length; k++) if (ids[k] < 0 || ids[k] >= movies) throw new CorruptArtefactError(`${path}: neighbour index ${ids[k]} out of range`);
}

/** The first n of row i as raw ids (`movieIds` by dense index), each scored by `scoreOf(k)` of its place k. */
export function rowNeighbours(ptr: Int32Array, ids: Int32Array, movieIds: Int32Array, i: number, n: number, scoreOf: (k: number) => number): Scored[] {
  const out: Scored[] = [];
  for (let k = ptr[i]; k < ptr[i + 1] && out.length < n; k++) out.push({ movieId: movieIds[ids[k]], score: scoreOf(k) });
  return out;
}
