// Imports the ratings lake (`<data-dir>/lake/ratings/raw`, Parquet written by `streamrec process`)
// as a dataset, with DuckDB: the data dir's own ratings become training data like a MovieLens
// release. A user who rated a movie again keeps the latest rating, as MovieLens does.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { quotedString, type DuckDBVector } from '@duckdb/node-api';
import { hasParquet, openMemoryDuckDB } from '../../lake/duckdb-common.js';
import { lakeTableDir } from '../../lake/lake-table.js';
import { RATINGS_RAW_LAYOUT } from '../../movies/ratings-lake-layout.js';
import { loadCatalogue } from '../../movies/catalogue.js';
import { cataloguePath } from '../../movies/catalogue-store.js';
import { RatingsBuilder, type RatingColumns } from './ratings-parse.js';
import {
  asSourceError,
  checkDatasetName,
  countDistinct,
  datasetDir,
  DatasetSourceError,
  storeDataset,
  writeManifest,
  type ImportProgress,
  type ImportResult,
} from './import.js';

export const LAKE_DATASET = 'lake';

export interface LakeImportOptions {
  /** The dataset's name (default `lake`). */
  name?: string;
  onProgress?: (progress: ImportProgress) => void;
}

/** Where the raw ratings lake of a data dir is. */
export function ratingsLakeDir(dataDir: string): string {
  return lakeTableDir(resolve(dataDir), RATINGS_RAW_LAYOUT);
}

/** Whether the data dir's ratings lake holds any file to import (`process` has flushed at least once). */
export function lakeHasRatings(dataDir: string): boolean {
  return hasParquet(ratingsLakeDir(dataDir));
}

/**
 * Reads every rating of the lake, one per (user, movie): the latest by event time (then by log
 * position), ordered by user then movie like a MovieLens ratings.csv.
 */
export async function readLakeRatings(
  lakeDir: string,
  onRows?: (rowsRead: number, rowsTotal: number) => void,
): Promise<{ columns: RatingColumns; rowsInLake: number }> {
  if (!hasParquet(lakeDir)) {
    throw new DatasetSourceError(`the ratings lake is empty: no Parquet files under ${lakeDir} (run \`streamrec process\` to fill it)`);
  }
  const { instance, connection } = await openMemoryDuckDB();
  try {
    const files = `read_parquet(${quotedString(join(lakeDir, '**', '*.parquet'))}, hive_partitioning = false)`;
    const counted = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${files}`);
    const rowsInLake = Number(counted.getRows()[0]?.[0] ?? 0);
    const builder = new RatingsBuilder(rowsInLake);
    const result = await connection.stream(`
      SELECT userId::INTEGER, movieId::INTEGER, rating::DOUBLE, "timestamp"::DOUBLE
      FROM ${files}
      WHERE userId IS NOT NULL AND movieId IS NOT NULL AND rating IS NOT NULL AND "timestamp" IS NOT NULL
      QUALIFY row_number() OVER (PARTITION BY userId, movieId ORDER BY "timestamp" DESC, source_partition DESC, source_offset DESC) = 1
      ORDER BY userId, movieId`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const cols = [0, 1, 2, 3].map((i) => chunk.getColumnVector(i)) as DuckDBVector<number>[];
      const [u, m, r, t] = cols;
      for (let i = 0; i < chunk.rowCount; i++) builder.push(u.getItem(i) as number, m.getItem(i) as number, r.getItem(i) as number, t.getItem(i) as number);
      onRows?.(builder.length, rowsInLake);
    }
    return { columns: builder.finish(), rowsInLake };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Imports the data dir's ratings lake, with its catalogue, as dataset `lake` (or options.name). */
export async function importLake(dataDir: string, options: LakeImportOptions = {}): Promise<ImportResult> {
  const started = performance.now();
  const root = resolve(dataDir);
  const name = checkDatasetName(options.name ?? LAKE_DATASET);
  const lakeDir = ratingsLakeDir(root);
  const moviesFile = cataloguePath(root);
  if (!existsSync(moviesFile)) {
    throw new DatasetSourceError(`no movie catalogue for the lake: ${moviesFile} not found (\`streamrec generate\` or \`streamrec up\` writes it)`);
  }
  let count = 0;
  const report = (phase: ImportProgress['phase'], read = 0, total = 0) =>
    options.onProgress?.({ phase, bytesRead: read, totalBytes: total, ratings: count, overallBytesRead: read, overallTotalBytes: total });
  const { columns, rowsInLake } = await readLakeRatings(lakeDir, (read, total) => {
    count = read;
    report('lake', read, total);
  });
  count = columns.users.length;
  report('movies');
  const catalogue = await asSourceError(() => loadCatalogue(moviesFile));
  report('store');
  const dir = datasetDir(root, name);
  const fingerprint = storeDataset(dir, { columns, catalogue, ratingsMeta: { source: lakeDir, layout: 'lake', rowsInLake } });
  const result: ImportResult = {
    name,
    dir,
    layout: 'lake',
    ratingsFile: lakeDir,
    moviesFile,
    ratings: count,
    users: countDistinct(columns.users),
    movies: countDistinct(columns.movies),
    catalogueMovies: catalogue.size,
    badLines: 0,
    badLinesByFile: {},
    fingerprint,
    sourceFiles: [{ file: 'movies.csv', bytes: statSync(moviesFile).size, mtimeMs: Math.floor(statSync(moviesFile).mtimeMs) }],
    durationMs: 0,
  };
  result.durationMs = Math.round(performance.now() - started);
  writeManifest(dir, result, { rowsInLake, replacedRatings: rowsInLake - count });
  return result;
}
