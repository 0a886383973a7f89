// Pure parsers for the MovieLens movie catalogue files. No I/O: callers pass decoded text.
import { StreamrecError } from '../util/errors.js';
import { splitCsvRecord } from '../util/csv.js';
import { MOVIELENS_GENRES, NO_GENRES, type Movie } from './movie.js';

export type CatalogueLayout = 'movies.csv' | 'movie.csv' | 'movies.dat' | 'u.item';

/**
 * A catalogue file that is missing, unreadable, of an unknown layout or malformed: the user's to
 * fix (exit 1). A server meeting one answers 500 — its own files, not the client's request.
 */
export class CatalogueError extends StreamrecError {
  override name = 'CatalogueError';
  constructor(message: string, code: 'catalogue-not-found' | 'catalogue-unreadable' | 'catalogue-unsupported' | 'catalogue-invalid', cause?: unknown) {
    super(message, { code, status: 500, cause });
  }
}

const LAYOUTS: readonly CatalogueLayout[] = ['movies.csv', 'movie.csv', 'movies.dat', 'u.item'];
const KNOWN_GENRES = new Set<string>([...MOVIELENS_GENRES, NO_GENRES]);

/** u.item's 19 flag columns, in file order; ml-100k says "Children's" where later releases say "Children". */
const U_ITEM_GENRES = [
  'unknown', 'Action', 'Adventure', 'Animation', 'Children', 'Comedy', 'Crime', 'Documentary', 'Drama',
  'Fantasy', 'Film-Noir', 'Horror', 'Musical', 'Mystery', 'Romance', 'Sci-Fi', 'Thriller', 'War', 'Western',
] as const;

/** The layout of a catalogue file, from its base name (directories are ignored). */
export function detectLayout(fileName: string): CatalogueLayout {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const layout = LAYOUTS.find((l) => l === base);
  if (layout === undefined) {
    throw new CatalogueError(`unsupported movie catalogue file "${base}": expected one of ${LAYOUTS.join(', ')}`, 'catalogue-unsupported');
  }
  return layout;
}

/** Parses text in the given layout. */
export function parseCatalogue(text: string, layout: CatalogueLayout): Movie[] {
  switch (layout) {
    case 'movies.csv':
    case 'movie.csv':
      return parseMoviesCsv(text, layout);
    case 'movies.dat':
      return parseMoviesDat(text);
    case 'u.item':
      return parseUItem(text);
  }
}

/** ml-latest / ml-20m / ml-25m `movies.csv` and Kaggle's `movie.csv`: header `movieId,title,genres`, RFC-4180 quoting. */
export function parseMoviesCsv(text: string, layout: 'movies.csv' | 'movie.csv' = 'movies.csv'): Movie[] {
  const movies: Movie[] = [];
  let sawHeader = false;
  forEachLine(text, layout, (line, fail) => {
    // One record a line: MovieLens titles never span lines.
    const fields = splitCsvRecord(line);
    if (typeof fields === 'string') return fail(fields);
    if (!sawHeader) {
      sawHeader = true;
      if (fields.join(',') !== 'movieId,title,genres') fail(`expected header movieId,title,genres, got ${line}`);
      return;
    }
    if (fields.length !== 3) fail(`expected 3 fields (movieId,title,genres), got ${fields.length}`);
    const [id, title, genres] = fields as [string, string, string];
    movies.push(makeMovie(parseId(id, fail), title, splitGenres(genres, fail), null));
  });
  return movies;
}

/** ml-1m / ml-10m `movies.dat`: `MovieID::Title::Genres`, no header. */
export function parseMoviesDat(text: string): Movie[] {
  const movies: Movie[] = [];
  forEachLine(text, 'movies.dat', (line, fail) => {
    const fields = line.split('::');
    if (fields.length !== 3) fail(`expected 3 fields (MovieID::Title::Genres), got ${fields.length}`);
    const [id, title, genres] = fields as [string, string, string];
    movies.push(makeMovie(parseId(id, fail), title, splitGenres(genres, fail), null));
  });
  return movies;
}

/** ml-100k `u.item`: id | title | release date | video release date | IMDb URL | 19 genre flags. */
export function parseUItem(text: string): Movie[] {
  const expected = 5 + U_ITEM_GENRES.length;
  const movies: Movie[] = [];
  forEachLine(text, 'u.item', (line, fail) => {
    const fields = line.split('|');
    if (fields.length !== expected) fail(`expected ${expected} fields (5 columns and 19 genre flags), got ${fields.length}`);
    const flags = fields.slice(5);
    const genres: string[] = [];
    flags.forEach((flag, i) => {
      if (flag !== '0' && flag !== '1') fail(`genre flag ${i + 1} is "${flag}", expected 0 or 1`);
      if (flag === '1' && i > 0) genres.push(U_ITEM_GENRES[i] as string);
    });
    // The "unknown" flag (or no flag at all) means the movie has no genres.
    const releaseYear = /(\d{4})\s*$/.exec(fields[2] as string);
    const fallbackYear = releaseYear ? Number(releaseYear[1]) : null;
    movies.push(makeMovie(parseId(fields[0] as string, fail), fields[1] as string, genres.length ? genres : [NO_GENRES], fallbackYear));
  });
  return movies;
}

/** The first year of a trailing "(YYYY)" or "(YYYY–YYYY)" in a title, or null. */
export function yearFromTitle(title: string): number | null {
  const m = /\((\d{4})[^()]*\)$/.exec(title.trim());
  return m ? Number(m[1]) : null;
}

type Fail = (reason: string) => never;

/**
 * Calls fn for each non-blank line, with a fail() that throws an error naming the layout and 1-based
 * line (a plain Error: `loadCatalogue` makes it a `CatalogueError` naming the file).
 */
function forEachLine(text: string, layout: CatalogueLayout, fn: (line: string, fail: Fail) => void): void {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const fail: Fail = (reason) => {
      throw new Error(`${layout} line ${i + 1}: ${reason}`);
    };
    fn(line, fail);
  });
}


function parseId(raw: string, fail: Fail): number {
  const s = raw.trim();
  const id = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(id)) fail(`movie id "${raw}" is not a non-negative integer`);
  return id;
}

/** `|`-separated genres; ml-1m writes "Children's", and an empty field means no genres. */
function splitGenres(raw: string, fail: Fail): string[] {
  const s = raw.trim();
  if (s === '' || s === NO_GENRES) return [NO_GENRES];
  return s.split('|').map((g) => {
    const genre = g.trim() === "Children's" ? 'Children' : g.trim();
    if (!KNOWN_GENRES.has(genre)) fail(`unknown genre "${g}"`);
    return genre;
  });
}

function makeMovie(movieId: number, rawTitle: string, genres: string[], fallbackYear: number | null): Movie {
  const title = rawTitle.trim();
  return { movieId, title, year: yearFromTitle(title) ?? fallbackYear, genres };
}
