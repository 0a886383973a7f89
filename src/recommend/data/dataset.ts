// One way for every model command to get its data: a dataset imported into the data dir (named,
// or the latest), a MovieLens directory imported on the fly (`--data`), or the ratings lake
// (`--from-lake`), loaded as columns, catalogue and optional content features.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type Catalogue, loadCatalogue } from '../../movies/catalogue.js';
import type { Genome, MovieTags } from './content-features.js';
import { genomePath, loadGenome, loadMovieTags, tagsPath } from './content-store.js';
import {
  checkDatasetName,
  datasetDir,
  DatasetSourceError,
  describeSourceFiles,
  findSourceFiles,
  importMovieLens,
  MANIFEST_FILE,
  type ImportProgress,
  type SourceFile,
} from './import.js';
import { importLake, LAKE_DATASET } from './lake-import.js';
import { loadRatings, type LoadedRatings } from './ratings-store.js';

export interface Dataset {
  name: string;
  dir: string;
  ratings: LoadedRatings;
  catalogue: Catalogue;
  /** Undefined when the dataset has no tag genome / no users' tags. */
  genome?: Genome;
  tags?: MovieTags;
  /** dataset.json: what was imported, from where, when. */
  manifest: Record<string, unknown>;
}

/** One imported dataset, as `dataset list` shows it. */
export interface DatasetInfo {
  name: string;
  dir: string;
  layout: string;
  ratings: number;
  users: number;
  movies: number;
  genome: boolean;
  tags: boolean;
  importedAt: string;
}

export interface TrainingDataOptions {
  dataDir: string;
  /** A MovieLens directory to import on the fly (into `<dataDir>/datasets/<basename>`, reused while its files are unchanged). */
  data?: string;
  /** A named imported dataset; with `data` or `fromLake`, the name to import under. */
  dataset?: string;
  /** Import the data dir's ratings lake (as dataset `lake`) and use it. */
  fromLake?: boolean;
  /** For `data`: count malformed lines instead of stopping at the first. */
  skipBadLines?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

/** The data dir's datasets folder. */
export function datasetsRoot(dataDir: string): string {
  return join(resolve(dataDir), 'datasets');
}

/** Reads a dataset's manifest, or undefined when dir holds no (complete) dataset. */
export function readManifest(dir: string): Record<string, unknown> | undefined {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Loads an imported dataset directory: ratings columns, catalogue, genome and tags when present. */
export async function loadDataset(dir: string): Promise<Dataset> {
  const root = resolve(dir);
  const manifest = readManifest(root);
  if (manifest === undefined) {
    throw new DatasetSourceError(`not an imported dataset: ${root} has no readable ${MANIFEST_FILE} (run \`streamrec dataset import\`)`);
  }
  const ratings = loadRatings(root);
  const catalogue = await loadCatalogue(join(root, 'movies.csv'));
  const dataset: Dataset = {
    name: typeof manifest.name === 'string' ? manifest.name : basename(root),
    dir: root,
    ratings,
    catalogue,
    manifest,
  };
  const genome = loadGenome(root);
  if (genome !== undefined) dataset.genome = genome;
  const tags = loadMovieTags(root);
  if (tags !== undefined) dataset.tags = tags;
  return dataset;
}

/** The complete datasets of a data dir, by name. */
export function listDatasets(dataDir: string): DatasetInfo[] {
  const root = datasetsRoot(dataDir);
  if (!existsSync(root)) return [];
  const infos: DatasetInfo[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    const m = readManifest(dir);
    if (m === undefined) continue;
    const num = (v: unknown) => (typeof v === 'number' ? v : 0);
    infos.push({
      name: entry.name,
      dir,
      layout: typeof m.layout === 'string' ? m.layout : '?',
      ratings: num(m.ratings),
      users: num(m.users),
      movies: num(m.movies),
      genome: existsSync(genomePath(dir)),
      tags: existsSync(tagsPath(dir)),
      importedAt: typeof m.importedAt === 'string' ? m.importedAt : statSync(join(dir, MANIFEST_FILE)).mtime.toISOString(),
    });
  }
  return infos.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The most recently imported dataset, or undefined when there is none. */
export function latestDataset(dataDir: string): DatasetInfo | undefined {
  let latest: DatasetInfo | undefined;
  for (const info of listDatasets(dataDir)) if (latest === undefined || info.importedAt > latest.importedAt) latest = info;
  return latest;
}

/**
 * The data a model trains or is evaluated on: `data` (a MovieLens directory, imported on the fly
 * unless an import of the same unchanged files is there), else `fromLake`, else the dataset named
 * `dataset`, else the latest imported one. No dataset at all is a DatasetSourceError saying how
 * to get one.
 */
export async function openTrainingData(options: TrainingDataOptions): Promise<Dataset> {
  const dataDir = resolve(options.dataDir);
  if (options.data !== undefined && options.fromLake) throw new DatasetSourceError('pass either --data <dir> or --from-lake, not both');
  if (options.data !== undefined) {
    const source = resolve(options.data);
    const name = checkDatasetName(options.dataset ?? basename(source));
    const dir = datasetDir(dataDir, name);
    if (!importIsCurrent(dir, source, options.skipBadLines === true)) {
      await importMovieLens(source, dataDir, { name, skipBadLines: options.skipBadLines, onProgress: options.onProgress });
    }
    return loadDataset(dir);
  }
  if (options.fromLake) {
    const result = await importLake(dataDir, { name: options.dataset ?? LAKE_DATASET, onProgress: options.onProgress });
    return loadDataset(result.dir);
  }
  if (options.dataset !== undefined) {
    const name = checkDatasetName(options.dataset);
    const dir = datasetDir(dataDir, name);
    if (readManifest(dir) === undefined) {
      const known = listDatasets(dataDir).map((d) => d.name);
      throw new DatasetSourceError(
        `no dataset "${name}" in ${datasetsRoot(dataDir)}: ${known.length > 0 ? `imported ones are ${known.join(', ')}` : 'none is imported yet'}`,
      );
    }
    return loadDataset(dir);
  }
  const latest = latestDataset(dataDir);
  if (latest === undefined) {
    throw new DatasetSourceError(
      `no dataset in ${datasetsRoot(dataDir)}: run \`streamrec dataset import <dir>\` or \`streamrec dataset synth\`, or pass --data <dir>`,
    );
  }
  return loadDataset(latest.dir);
}

/** Whether dir holds an import of exactly the files an import of source would read now. */
function importIsCurrent(dir: string, source: string, skipBadLines: boolean): boolean {
  const manifest = readManifest(dir);
  if (manifest === undefined || typeof manifest.ratingsFile !== 'string' || dirname(manifest.ratingsFile) !== source) return false;
  // An import that skipped bad lines does not stand in for a strict one.
  if (!skipBadLines && manifest.badLines !== 0) return false;
  let current: SourceFile[];
  try {
    current = describeSourceFiles(findSourceFiles(source).all);
  } catch {
    return false; // let the import name what is wrong
  }
  return JSON.stringify(current) === JSON.stringify(manifest.sourceFiles);
}
