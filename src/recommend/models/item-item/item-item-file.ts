// The artefact of an item-item model: one array file whose meta holds the format, version,
// parameters, global mean and scale, and whose arrays are the ids and item biases every such model
// keeps followed by the model's own. The order of both is the file's bytes: it stays as written.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IdIndex } from '../../data/interactions.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile, type ArrayFile, type NumericArray } from '../array-file.js';
import type { ItemItemState } from './item-item-model.js';

/** What names a model's file and tells it from a foreign one. */
export interface ItemItemArtefact {
  format: string;
  version: number;
  /** The file name in the version directory. */
  file: string;
  /** For the error on a foreign file, e.g. "an EASE model". */
  what: string;
}

export interface ItemItemMeta<P> {
  format: string;
  version: number;
  params: P;
  globalMean: number;
  scale: { min: number; max: number };
}

/** Writes `<dir>/<file>`: users, movies and itemBias, then `own`; returns the files written. */
export function writeItemItemFile<P>(dir: string, artefact: ItemItemArtefact, s: ItemItemState<P>, own: Record<string, NumericArray>): string[] {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, artefact.file);
  const meta: ItemItemMeta<P> = { format: artefact.format, version: artefact.version, params: s.params, globalMean: s.globalMean, scale: s.scale };
  writeArrayFile(path, meta, { users: s.users.ids, movies: s.movies.ids, itemBias: s.itemBias, ...own });
  return [path];
}

/**
 * Reads `<dir>/<file>` and checks its format and version; a damaged or foreign file throws
 * CorruptArtefactError. The model reads its arrays from it in its own order (that order decides
 * which fault of a file with several is named).
 */
export function openItemItemFile<P>(dir: string, artefact: ItemItemArtefact): { path: string; file: ArrayFile<ItemItemMeta<P>> } {
  const path = join(dir, artefact.file);
  const file = readArrayFile<ItemItemMeta<P>>(path);
  const meta = file.meta;
  if (meta?.format !== artefact.format || meta.version !== artefact.version) {
    throw new CorruptArtefactError(`${path}: not ${artefact.what} (format ${String(meta?.format)} v${String(meta?.version)})`);
  }
  return { path, file };
}

/** The shared state of an opened file once the model has read and checked `movies` and `itemBias` with its own arrays. */
export function loadedState<P>(path: string, file: ArrayFile<ItemItemMeta<P>>, movies: Int32Array, itemBias: Float32Array): ItemItemState<P> {
  const { meta } = file;
  return {
    params: meta.params,
    users: new IdIndex(arrayOf(file, 'users', Int32Array, path)),
    movies: new IdIndex(movies),
    globalMean: meta.globalMean,
    scale: meta.scale,
    itemBias,
  };
}
