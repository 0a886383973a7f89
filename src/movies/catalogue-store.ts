import { csvField } from '../util/csv.js';
import { existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Catalogue, loadCatalogue } from './catalogue.js';
import { syntheticCatalogue } from './synthetic-catalogue.js';
import type { Movie } from './movie.js';

export interface CatalogueChoice {
  dataDir: string;
  /** A MovieLens movies file to use (and remember in the data dir). */
  moviesFile?: string;
  /** Size and seed of the synthetic catalogue made when the data dir has none. */
  syntheticCount?: number;
  syntheticSeed?: number;
  /** Replace a stored catalogue of another size with a synthetic one of syntheticCount. */
  replaceSynthetic?: boolean;
}

/** The catalogue every process of a data dir shares, as an ml-latest style movies.csv. */
export function cataloguePath(dataDir: string): string {
  return join(dataDir, 'catalogue', 'movies.csv');
}

/**
 * The data dir's movie catalogue: the given MovieLens file (copied in), else the one already
 * there, else a synthetic one written there, so a generator and a processor started separately
 * agree on every title and genre.
 */
export async function ensureCatalogue(choice: CatalogueChoice): Promise<Catalogue> {
  const path = cataloguePath(choice.dataDir);
  if (choice.moviesFile) {
    const catalogue = await loadCatalogue(choice.moviesFile);
    writeAtomically(path, formatMoviesCsv(catalogue.all()));
    return catalogue;
  }
  if (existsSync(path)) {
    const stored = await loadCatalogue(path);
    if (!choice.replaceSynthetic || stored.size === choice.syntheticCount) return stored;
  }
  const catalogue = syntheticCatalogue(choice.syntheticCount ?? 10_000, choice.syntheticSeed ?? 1);
  writeAtomically(path, formatMoviesCsv(catalogue.all()));
  return catalogue;
}

export function formatMoviesCsv(movies: Movie[]): string {
  const lines = movies.map((m) => `${m.movieId},${csvField(m.title)},${csvField(m.genres.join('|'))}`);
  return `movieId,title,genres\n${lines.join('\n')}\n`;
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
