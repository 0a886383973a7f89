// Imports a MovieLens release directory into `<data-dir>/datasets/<name>/`: ratings.bin (the
// columnar store), movies.csv (the catalogue, ml-latest layout), genome.bin and tags.bin when the
// release has a tag genome or users' tags, and dataset.json (what was imported, written last).
import { isUtf8 } from 'node:buffer';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type Catalogue, loadCatalogue } from '../../movies/catalogue.js';
import { formatMoviesCsv } from '../../movies/catalogue-store.js';
import type { Genome, MovieTags } from './content-features.js';
import { genomePath, saveGenome, saveMovieTags, tagsPath } from './content-store.js';
import { GenomeScoresParser, parseGenomeTags } from './genome-parse.js';
import { RATINGS_LAYOUTS, RatingsParser, type RatingColumns, type RatingsLayout } from './ratings-parse.js';
import { saveRatings } from './ratings-store.js';
import { TAGS_LAYOUTS, TagsParser, type TagsLayout } from './tags-parse.js';
import { StreamrecError } from '../../util/errors.js';

const MOVIE_FILES = ['movies.csv', 'movie.csv', 'movies.dat', 'u.item'] as const;
/** The movies file each release ships next to its ratings file. */
const MOVIES_FOR: Record<RatingsLayout, string> = {
  'ratings.csv': 'movies.csv',
  'rating.csv': 'movie.csv',
  'ratings.dat': 'movies.dat',
  'u.data': 'u.item',
};
/** The tags file each release ships (ml-1m and ml-100k have none). */
const TAGS_FOR: Partial<Record<RatingsLayout, TagsLayout>> = { 'ratings.csv': 'tags.csv', 'rating.csv': 'tag.csv', 'ratings.dat': 'tags.dat' };
/** Genome file pairs: scores and the tags they refer to (ml-latest/20m/25m, then Kaggle's names). */
const GENOME_FILES = [
  { scores: 'genome-scores.csv', tags: 'genome-tags.csv' },
  { scores: 'genome_scores.csv', tags: 'genome_tags.csv' },
] as const;

export const MANIFEST_FILE = 'dataset.json';

/** A problem with the source directory or the name the user can fix (the CLI shows it as one line). */
export class DatasetSourceError extends StreamrecError {
  override name = 'DatasetSourceError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'dataset-source', cause: options.cause });
  }
}

export interface ImportProgress {
  phase: 'ratings' | 'movies' | 'genome' | 'tags' | 'store' | 'lake';
  /** Of the file being read (for the lake: rows read and the rows there are). */
  bytesRead: number;
  totalBytes: number;
  ratings: number;
  /** Of all the files the import reads: for an overall percent and ETA. */
  overallBytesRead: number;
  overallTotalBytes: number;
}

export interface ImportOptions {
  /** The dataset's name (default: the source directory's base name). */
  name?: string;
  skipBadLines?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

/** A file the import read, to tell later whether the source changed. */
export interface SourceFile {
  file: string;
  bytes: number;
  mtimeMs: number;
}

export interface GenomeSummary {
  scoresFile: string;
  tagsFile: string;
  movies: number;
  tags: number;
  /** (movie, tag) cells the scores file did not give (stored as 0). */
  missingScores: number;
}

export interface TagsSummary {
  file: string;
  /** Tag applications read, distinct tags, and (movie, tag) rows stored. */
  applications: number;
  tags: number;
  movieTags: number;
}

export interface ImportResult {
  name: string;
  dir: string;
  layout: RatingsLayout | 'lake';
  ratingsFile: string;
  moviesFile: string;
  ratings: number;
  /** Distinct users and movies among the ratings. */
  users: number;
  movies: number;
  /** Movies in the catalogue. */
  catalogueMovies: number;
  genome?: GenomeSummary;
  tags?: TagsSummary;
  /** Malformed lines skipped (with skipBadLines), in all files and by file name. */
  badLines: number;
  badLinesByFile: Record<string, number>;
  firstBad?: string;
  fingerprint: string;
  sourceFiles: SourceFile[];
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

/** The genome files, when the release has scores; scores without their tags file is an error naming it. */
export function findGenomeFiles(sourceDir: string): { scores: string; tags: string } | undefined {
  for (const pair of GENOME_FILES) {
    const scores = join(sourceDir, pair.scores);
    if (!existsSync(scores)) continue;
    const tags = join(sourceDir, pair.tags);
    if (!existsSync(tags)) throw new DatasetSourceError(`${pair.scores} needs ${pair.tags}, which is not in ${sourceDir}`);
    return { scores, tags };
  }
  return undefined;
}

/** The users' tags file, when the release has one (the one matching the ratings layout first). */
export function findTagsFile(sourceDir: string, layout: RatingsLayout): { path: string; layout: TagsLayout } | undefined {
  const preferred = TAGS_FOR[layout];
  const order = preferred === undefined ? TAGS_LAYOUTS : [preferred, ...TAGS_LAYOUTS.filter((t) => t !== preferred)];
  for (const tagsLayout of order) {
    const path = join(sourceDir, tagsLayout);
    if (existsSync(path)) return { path, layout: tagsLayout };
  }
  return undefined;
}

/** The files an import of sourceDir reads (`all`: every one of them, in reading order). */
export function findSourceFiles(sourceDir: string): {
  ratings: string;
  layout: RatingsLayout;
  movies: string;
  genome?: { scores: string; tags: string };
  tags?: { path: string; layout: TagsLayout };
  all: string[];
} {
  const { path: ratings, layout } = findRatingsFile(sourceDir);
  const movies = findMoviesFile(sourceDir, layout);
  const genome = findGenomeFiles(sourceDir);
  const tags = findTagsFile(sourceDir, layout);
  const all = [ratings, movies, ...(genome ? [genome.tags, genome.scores] : []), ...(tags ? [tags.path] : [])];
  return { ratings, layout, movies, genome, tags, all };
}

/** Streams a UTF-8 file in 1 MiB chunks, reporting the bytes read after each. */
async function streamText(path: string, onChunk: (text: string) => void, onBytes?: (bytesRead: number) => void): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  stream.setEncoding('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      onChunk(chunk);
      onBytes?.(stream.bytesRead);
    }
  } finally {
    stream.destroy();
  }
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
  await streamText(path, (chunk) => parser.push(chunk), (bytesRead) => options.onProgress?.(bytesRead, totalBytes, parser.rows));
  return parser.end();
}

/** Reads genome-tags and streams genome-scores into the movies × tags matrix. */
export async function parseGenomeFiles(
  files: { scores: string; tags: string },
  options: { skipBadLines?: boolean; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): Promise<{ genome: Genome; missingScores: number; badLines: Record<string, number>; firstBad?: string }> {
  const tags = parseGenomeTags(readFileSync(files.tags, 'utf8'), { fileName: files.tags, skipBadLines: options.skipBadLines });
  const totalBytes = statSync(files.scores).size;
  const parser = new GenomeScoresParser(tags, { fileName: files.scores, tagsFileName: basename(files.tags), skipBadLines: options.skipBadLines });
  await streamText(files.scores, (chunk) => parser.push(chunk), (bytesRead) => options.onProgress?.(bytesRead, totalBytes));
  const scores = parser.end();
  const result: Awaited<ReturnType<typeof parseGenomeFiles>> = {
    genome: scores.genome,
    missingScores: scores.missingScores,
    badLines: { [basename(files.tags)]: tags.badLines, [basename(files.scores)]: scores.badLines },
  };
  const firstBad = tags.firstBad ?? scores.firstBad;
  if (firstBad !== undefined) result.firstBad = firstBad;
  return result;
}

/** Reads a users' tags file; tags.dat (ml-10m) is decoded as UTF-8 when valid, else Latin-1 like its movies.dat. */
export async function parseTagsFile(
  path: string,
  layout: TagsLayout,
  options: { skipBadLines?: boolean; onProgress?: (bytesRead: number, totalBytes: number) => void } = {},
): Promise<{ tags: MovieTags; applications: number; badLines: number; firstBad?: string }> {
  const totalBytes = statSync(path).size;
  const parser = new TagsParser(layout, { fileName: path, skipBadLines: options.skipBadLines });
  if (layout === 'tags.dat') {
    const bytes = readFileSync(path);
    parser.push(bytes.toString(isUtf8(bytes) ? 'utf8' : 'latin1'));
    options.onProgress?.(totalBytes, totalBytes);
  } else {
    await streamText(path, (chunk) => parser.push(chunk), (bytesRead) => options.onProgress?.(bytesRead, totalBytes));
  }
  return parser.end();
}

/** What a dataset directory holds; `storeDataset` writes it. */
export interface DatasetContent {
  columns: RatingColumns;
  catalogue: Catalogue;
  genome?: Genome;
  tags?: MovieTags;
  /** Facts kept in ratings.bin's header. */
  ratingsMeta: Record<string, unknown>;
}

/**
 * Writes a dataset directory and returns the ratings fingerprint. An earlier import's manifest is
 * removed first (a half-written dataset is never listed) and its genome/tags files when this one
 * has none; the caller writes the new manifest last with `writeManifest`.
 */
export function storeDataset(dir: string, content: DatasetContent): string {
  mkdirSync(dir, { recursive: true });
  rmSync(join(dir, MANIFEST_FILE), { force: true });
  const header = saveRatings(dir, content.columns, content.ratingsMeta);
  writeAtomically(join(dir, 'movies.csv'), formatMoviesCsv(content.catalogue.all()));
  if (content.genome !== undefined) saveGenome(dir, content.genome);
  else rmSync(genomePath(dir), { force: true });
  if (content.tags !== undefined) saveMovieTags(dir, content.tags);
  else rmSync(tagsPath(dir), { force: true });
  return header.fingerprint;
}

/** Writes `<dir>/dataset.json`: the import's result, any extra facts, and when it happened. */
export function writeManifest(dir: string, result: ImportResult, extra: Record<string, unknown> = {}): void {
  const manifest = { ...result, ...extra, importedAt: new Date().toISOString() };
  writeAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Size and modification time of each file, to notice a changed source later. */
export function describeSourceFiles(paths: string[]): SourceFile[] {
  return paths.map((path) => {
    const s = statSync(path);
    return { file: basename(path), bytes: s.size, mtimeMs: Math.floor(s.mtimeMs) };
  });
}

/** Imports a MovieLens directory (any release) into `<dataDir>/datasets/<name>/`. */
export async function importMovieLens(sourceDir: string, dataDir: string, options: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const source = resolve(sourceDir);
  const name = checkDatasetName(options.name ?? basename(source));
  const { ratings: ratingsFile, layout, movies: moviesFile, genome: genomeFiles, tags: tagsFile, all: inputs } = findSourceFiles(source);
  const skipBadLines = options.skipBadLines === true;
  const sourceFiles = describeSourceFiles(inputs);
  const sizeOf = (path: string) => sourceFiles[inputs.indexOf(path)].bytes;
  const overallTotalBytes = sourceFiles.reduce((sum, f) => sum + f.bytes, 0);
  let doneBytes = 0;
  let count = 0;
  const report = (phase: ImportProgress['phase'], bytesRead = 0, totalBytes = 0) =>
    options.onProgress?.({ phase, bytesRead, totalBytes, ratings: count, overallBytesRead: doneBytes + bytesRead, overallTotalBytes });

  // A malformed line or movies file is the user's to fix: both become DatasetSourceError.
  const parsed = await asSourceError(() =>
    parseRatingsFile(ratingsFile, layout, {
      skipBadLines,
      onProgress: (bytesRead, totalBytes, ratings) => {
        count = ratings;
        report('ratings', bytesRead, totalBytes);
      },
    }),
  );
  const { columns } = parsed;
  count = columns.users.length;
  doneBytes += sizeOf(ratingsFile);
  const badLinesByFile: Record<string, number> = { [basename(ratingsFile)]: parsed.badLines };
  let firstBad = parsed.firstBad;

  report('movies');
  const catalogue = await asSourceError(() => loadCatalogue(moviesFile));
  doneBytes += sizeOf(moviesFile);

  let genome: Awaited<ReturnType<typeof parseGenomeFiles>> | undefined;
  if (genomeFiles !== undefined) {
    doneBytes += sizeOf(genomeFiles.tags);
    genome = await asSourceError(() => parseGenomeFiles(genomeFiles, { skipBadLines, onProgress: (read, total) => report('genome', read, total) }));
    doneBytes += sizeOf(genomeFiles.scores);
    Object.assign(badLinesByFile, genome.badLines);
    firstBad ??= genome.firstBad;
  }
  let tags: Awaited<ReturnType<typeof parseTagsFile>> | undefined;
  if (tagsFile !== undefined) {
    tags = await asSourceError(() => parseTagsFile(tagsFile.path, tagsFile.layout, { skipBadLines, onProgress: (read, total) => report('tags', read, total) }));
    doneBytes += sizeOf(tagsFile.path);
    badLinesByFile[basename(tagsFile.path)] = tags.badLines;
    firstBad ??= tags.firstBad;
  }

  report('store');
  const dir = datasetDir(resolve(dataDir), name);
  const fingerprint = storeDataset(dir, {
    columns,
    catalogue,
    genome: genome?.genome,
    tags: tags?.tags,
    ratingsMeta: { source, layout, ratingsFile: basename(ratingsFile) },
  });

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
    badLines: Object.values(badLinesByFile).reduce((a, b) => a + b, 0),
    badLinesByFile,
    fingerprint,
    sourceFiles,
    durationMs: 0,
  };
  if (genome !== undefined && genomeFiles !== undefined) {
    result.genome = {
      scoresFile: genomeFiles.scores,
      tagsFile: genomeFiles.tags,
      movies: genome.genome.movieIds.length,
      tags: genome.genome.tags.length,
      missingScores: genome.missingScores,
    };
  }
  if (tags !== undefined && tagsFile !== undefined) {
    result.tags = { file: tagsFile.path, applications: tags.applications, tags: tags.tags.tags.length, movieTags: tags.tags.movieIds.length };
  }
  if (firstBad !== undefined) result.firstBad = firstBad;
  result.durationMs = Math.round(performance.now() - started);
  writeManifest(dir, result);
  return result;
}

/** Runs work, turning a plain Error (a parser's message naming file and line) into DatasetSourceError. */
export async function asSourceError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof Error && !(err instanceof DatasetSourceError)) throw new DatasetSourceError(err.message, { cause: err });
    throw err;
  }
}

/** Distinct non-negative ids, with a bitmap (ids are dense in MovieLens). */
export function countDistinct(ids: Int32Array): number {
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
