// A dataset's content files: genome.bin (the tag genome) and tags.bin (users' tags per movie),
// each one checksummed array file (array-file.ts) in the shapes of content-features.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from '../models/array-file.js';
import type { Genome, MovieTags } from './content-features.js';

export function genomePath(dir: string): string {
  return join(dir, 'genome.bin');
}

export function tagsPath(dir: string): string {
  return join(dir, 'tags.bin');
}

/** Writes `<dir>/genome.bin`. */
export function saveGenome(dir: string, genome: Genome): void {
  if (genome.relevance.length !== genome.movieIds.length * genome.tags.length) {
    throw new Error(`saveGenome: relevance has ${genome.relevance.length} values, expected ${genome.movieIds.length} movies × ${genome.tags.length} tags`);
  }
  writeArrayFile(genomePath(dir), { tags: genome.tags }, { movieIds: genome.movieIds, relevance: genome.relevance });
}

/** Reads `<dir>/genome.bin`, or undefined when the dataset has no genome. */
export function loadGenome(dir: string): Genome | undefined {
  const path = genomePath(dir);
  if (!existsSync(path)) return undefined;
  const file = readArrayFile<{ tags?: unknown }>(path);
  const tags = tagList(file.meta?.tags, path);
  const movieIds = arrayOf(file, 'movieIds', Int32Array, path);
  const relevance = arrayOf(file, 'relevance', Float32Array, path);
  if (relevance.length !== movieIds.length * tags.length) throw new CorruptArtefactError(`${path}: relevance does not match movies × tags`);
  return { tags, movieIds, relevance };
}

/** Writes `<dir>/tags.bin`. */
export function saveMovieTags(dir: string, tags: MovieTags): void {
  const n = tags.movieIds.length;
  if (tags.tagIds.length !== n || tags.counts.length !== n) throw new Error('saveMovieTags: movieIds, tagIds and counts must have the same length');
  writeArrayFile(tagsPath(dir), { tags: tags.tags }, { movieIds: tags.movieIds, tagIds: tags.tagIds, counts: tags.counts });
}

/** Reads `<dir>/tags.bin`, or undefined when the dataset has no user tags. */
export function loadMovieTags(dir: string): MovieTags | undefined {
  const path = tagsPath(dir);
  if (!existsSync(path)) return undefined;
  const file = readArrayFile<{ tags?: unknown }>(path);
  const tags = tagList(file.meta?.tags, path);
  const movieIds = arrayOf(file, 'movieIds', Int32Array, path);
  const tagIds = arrayOf(file, 'tagIds', Int32Array, path);
  const counts = arrayOf(file, 'counts', Int32Array, path);
  if (tagIds.length !== movieIds.length || counts.length !== movieIds.length) throw new CorruptArtefactError(`${path}: arrays of different lengths`);
  return { tags, movieIds, tagIds, counts };
}

function tagList(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) throw new CorruptArtefactError(`${path}: meta.tags is not a list of strings`);
  return value as string[];
}
