// Imports a MovieLens release directory into `<data-dir>/datasets/<name>/`: ratings.bin (the
// columnar store), movies.csv (the catalogue, ml-latest layout) and dataset.json (what was imported).
import { createReadStream, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadCatalogue } from '../../pipelines/ratings/catalogue.js';
import { formatMoviesCsv } from '../../pipelines/ratings/catalogue-store.js';
import { RATINGS_LAYOUTS, RatingsParser, type RatingColumns, type RatingsLayout } from './ratings-parse.js';
import { saveRatings } from './ratings-store.js';

const MOVIE_FILES = ['movies.csv', 'movie.csv', 'movies.dat', 'u.item'] as const;
/** The movies file each release ships next to its ratings file. */
const MOVIES_FOR: Record<RatingsLayout, string> = {
  'ratings.csv': 'movies.csv',
  'rating.csv': 'movie.csv',
  'ratings.dat': 'movies.dat',
  'u.data': 'u.item',
};

/** A problem with the source directory or the name the user can fix (the CLI shows it as one line). */
export class DatasetSourceError extends Error {
  override name = 'DatasetSourceError';
}

export interface ImportProgress {
  phase: 'ratings' | 'movies' | 'store';
  bytesRead: number;
  totalBytes: number;
  ratings: number;
}

export interface ImportOptions {
  /** The dataset's name (default: the source directory's base name). */
  name?: string;
  skipBadLines?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportResult {
  name: string;
  dir: string;
  layout: RatingsLayout;
  ratingsFile: string;
  moviesFile: string;
  ratings: number;
  /** Distinct users and movies among the ratings. */
  users: number;
  movies: number;
  /** Movies in the catalogue. */
  catalogueMovies: number;
  badLines: number;
  firstBad?: string;
  fingerprint: string;
  durationMs: number;
}

/** Where a dataset lives in a data dir. */
export function datasetDir(dataDir: string, name: string): string {
  return join(dataDir, 'datasets', name);
}

/** A dataset name: letters, digits, '.', '_' and '-', not starting with '.'. */
export function checkDatasetName(name: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new DatasetSourceError(`bad dataset name "${name}": use letters, digits, '.', '_' and '-' (not starting with '.')`);
  }
  return name;
}

/** The ratings file present in a MovieLens directory, in the order ratings.csv, rating.csv, ratings.dat, u.data. */
export function findRatingsFile(sourceDir: string): { path: string; layout: RatingsLayout } {
  if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) {
    throw new DatasetSourceError(`not a directory: ${sourceDir}`);
  }
  for (const layout of RATINGS_LAYOUTS) {
    const path = join(sourceDir, layout);
    if (existsSync(path)) return { path, layout };
  }
  throw new DatasetSourceError(`no ratings file in ${sourceDir}: expected one of ${RATINGS_LAYOUTS.join(', ')}`);
}

function findMoviesFile(sourceDir: string, layout: RatingsLayout): string {
  const preferred = MOVIES_FOR[layout];
  for (const name of [preferred, ...MOVIE_FILES.filter((m) => m !== preferred)]) {
    const path = join(sourceDir, name);
    if (existsSync(path)) return path;
  }
  throw new DatasetSourceError(`no movies file in ${sourceDir}: expected ${preferred} (or one of ${MOVIE_FILES.join(', ')})`);
}

/** Streams a ratings file through the parser, reporting progress per chunk. */
export async function parseRatingsFile(
  path: string,
  layout: RatingsLayout,
  options: { skipBadLines?: boolean; onProgress?: (bytesRead: number, totalBytes: number, rows: number) => void } = {},
): Promise<{ columns: RatingColumns; badLines: number; firstBad?: string }> {
  const totalBytes = statSync(path).size;
  // About 20-30 bytes a line in every release; start near the final size to avoid most regrowth.
  const parser = new RatingsParser(layout, { fileName: path, skipBadLines: options.skipBadLines, capacity: totalBytes / 20 + 16 });
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  stream.setEncoding('utf8');
  let bytesRead = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      parser.push(chunk);
      bytesRead = stream.bytesRead;
      options.onProgress?.(bytesRead, totalBytes, parser.rows);
    }
  } finally {
    stream.destroy();
  }
  return parser.end();
}

/** Imports a MovieLens directory (any release) into `<dataDir>/datasets/<name>/`. */
export async function importMovieLens(sourceDir: string, dataDir: string, options: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const source = resolve(sourceDir);
  const name = checkDatasetName(options.name ?? basename(source));
  const { path: ratingsFile, layout } = findRatingsFile(source);
  const moviesFile = findMoviesFile(source, layout);
  const report = options.onProgress;

  // A malformed line or movies file is the user's to fix: both become DatasetSourceError.
  const parsed = await asSourceError(() =>
    parseRatingsFile(ratingsFile, layout, {
      skipBadLines: options.skipBadLines,
      onProgress: (bytesRead, totalBytes, ratings) => report?.({ phase: 'ratings', bytesRead, totalBytes, ratings }),
    }),
  );
  const { columns } = parsed;
  const count = columns.users.length;
  report?.({ phase: 'movies', bytesRead: 0, totalBytes: 0, ratings: count });
  const catalogue = await asSourceError(() => loadCatalogue(moviesFile));

  report?.({ phase: 'store', bytesRead: 0, totalBytes: 0, ratings: count });
  const dir = datasetDir(resolve(dataDir), name);
  mkdirSync(dir, { recursive: true });
  const header = saveRatings(dir, columns, { source: source, layout, ratingsFile: basename(ratingsFile) });
  writeAtomically(join(dir, 'movies.csv'), formatMoviesCsv(catalogue.all()));

  const result: ImportResult = {
    name,
    dir,
    layout,
    ratingsFile,
    moviesFile,
    ratings: count,
    users: countDistinct(columns.users),
    movies: countDistinct(columns.movies),
    catalogueMovies: catalogue.size,
    badLines: parsed.badLines,
    fingerprint: header.fingerprint,
    durationMs: 0,
  };
  if (parsed.firstBad !== undefined) result.firstBad = parsed.firstBad;
  result.durationMs = Math.round(performance.now() - started);
  const manifest = { ...result, importedAt: new Date().toISOString() };
  writeAtomically(join(dir, 'dataset.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return result;
}

async function asSourceError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && !(err instanceof DatasetSourceError)) throw new DatasetSourceError(err.message, { cause: err });
    throw err;
  }
}

/** Distinct non-negative ids, with a bitmap (ids are dense in MovieLens). */
function countDistinct(ids: Int32Array): number {
  let max = -1;
  for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
  if (max < 0) return 0;
  if (max > 1 << 28) return new Set(ids).size;
  const seen = new Uint8Array(max + 1);
  let distinct = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (seen[id] === 0) {
      seen[id] = 1;
      distinct++;
    }
  }
  return distinct;
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
