// What the server serves at one moment: the loaded models with their versions, the dataset they
// were trained on (catalogue and users' histories) and the popularity fallback. Immutable once
// built; a reload builds a new one beside it and the service swaps one reference.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '../../pipelines/ratings/catalogue.js';
import type { Movie } from '../../pipelines/ratings/movie.js';
import { loadDataset } from '../data/dataset.js';
import { datasetDir } from '../data/import.js';
import { buildInteractions } from '../data/interactions.js';
import { loadRegisteredModel } from '../models/load-model.js';
import { PopularityModel } from '../models/popularity.js';
import type { ModelName, Recommender } from '../models/recommender.js';
import type { ModelMetadata, ModelRegistry } from '../registry/registry.js';
import { SERVING_MODELS, type ServingModelName } from './contract.js';
import { TrainingHistories } from './user-histories.js';

/** The dataset side of a model set: shared by consecutive sets trained on the same data. */
export interface ServingData {
  /** `<name>@<fingerprint>`: equal keys, same data. */
  key: string;
  name: string;
  catalogue: Catalogue;
  histories: TrainingHistories;
  /** Lower-cased genre → its canonical spelling and the catalogue's movies of that genre. */
  genres: Map<string, { name: string; movies: Int32Array }>;
  /** How many distinct movies the ratings hold. */
  ratedMovies: number;
  /** Built from the dataset when no popularity model is registered. */
  popularity?: PopularityModel;
}

export interface ModelSet {
  models: ReadonlyMap<ServingModelName, Recommender>;
  /** Versions of every model in the set, the popularity fallback included. */
  versions: Partial<Record<ModelName, string>>;
  metadata: Partial<Record<ModelName, ModelMetadata>>;
  defaultModel: ServingModelName;
  popularity: PopularityModel;
  data: ServingData;
  loadedAt: string;
  /** Things worth telling an operator: models skipped and why. */
  notes: string[];
}

/** The version of each model `latest` points to now (absent: none). */
export function latestVersions(registry: ModelRegistry): Partial<Record<ModelName, string>> {
  const out: Partial<Record<ModelName, string>> = {};
  for (const name of [...SERVING_MODELS, 'popularity'] as ModelName[]) {
    const v = registry.latestVersion(name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

export function sameVersions(a: Partial<Record<ModelName, string>>, b: Partial<Record<ModelName, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<ModelName>;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

export class NoModelError extends Error {
  override name = 'NoModelError';
}

/**
 * Loads the latest version of every model into a new set. The dataset is the default model's
 * (hybrid, else als, itemcf, content); models trained on another dataset are skipped with a note,
 * since one catalogue and one set of histories is served. `previous` lends its dataset side when
 * the data is the same, so a new model version does not reload 20M ratings.
 * Throws NoModelError when no serving model is registered; a model that fails to load throws.
 */
export async function loadModelSet(registry: ModelRegistry, dataDir: string, previous: ModelSet | null): Promise<ModelSet> {
  const notes: string[] = [];
  const metadata: Partial<Record<ModelName, ModelMetadata>> = {};
  for (const name of [...SERVING_MODELS, 'popularity'] as ModelName[]) {
    const meta = registry.latest(name);
    if (meta) metadata[name] = meta;
  }
  const defaultModel = SERVING_MODELS.find((m) => metadata[m] !== undefined);
  if (defaultModel === undefined) throw new NoModelError('no recommendation model in the registry');
  const datasetName = metadata[defaultModel]!.dataset.name;

  for (const name of Object.keys(metadata) as ModelName[]) {
    const other = metadata[name]!.dataset.name;
    if (other !== datasetName) {
      notes.push(`${name} ${metadata[name]!.version} skipped: trained on dataset "${other}", serving "${datasetName}" (the ${defaultModel} model's)`);
      delete metadata[name];
    }
  }

  const data = await servingData(dataDir, datasetName, previous?.data ?? null, notes, metadata.popularity === undefined);
  const models = new Map<ServingModelName, Recommender>();
  const versions: Partial<Record<ModelName, string>> = {};
  // A version already served is kept as loaded: no reload cost, and popularity keeps what it streamed.
  const same = (name: ModelName, version: string) => previous !== null && previous.versions[name] === version && previous.data === data;
  for (const name of SERVING_MODELS) {
    const meta = metadata[name];
    if (!meta) continue;
    models.set(name, same(name, meta.version) ? previous!.models.get(name)! : await loadRegisteredModel(registry, name, meta.version));
    versions[name] = meta.version;
  }

  let popularity: PopularityModel;
  const popMeta = metadata.popularity;
  if (popMeta) {
    popularity = same('popularity', popMeta.version) ? previous!.popularity : ((await loadRegisteredModel(registry, 'popularity', popMeta.version)) as PopularityModel);
    versions.popularity = popMeta.version;
  } else {
    // servingData built it while the ratings were in memory (or an earlier set did).
    popularity = data.popularity ?? (data.popularity = await popularityFromDataset(dataDir, datasetName, data.catalogue));
    notes.push(`no popularity model registered: the fallback ranks dataset "${datasetName}" by Bayesian average`);
  }
  return { models, versions, metadata, defaultModel, popularity, data, loadedAt: new Date().toISOString(), notes };
}

/** The dataset side, reused from `previous` when it is the same data. */
async function servingData(dataDir: string, name: string, previous: ServingData | null, notes: string[], needPopularity: boolean): Promise<ServingData> {
  const dir = datasetDir(dataDir, name);
  const key = `${name}@${dataIdentity(dir)}`;
  if (previous && previous.key === key) return previous;
  if (!existsSync(dir)) {
    throw new Error(`the models were trained on dataset "${name}", which is not in ${join(dataDir, 'datasets')}: import it again (streamrec dataset import) or retrain`);
  }
  const dataset = await loadDataset(dir);
  const histories = await TrainingHistories.fromColumns(dataset.ratings.columns);
  if (dataset.catalogue.size === 0) notes.push(`dataset "${name}" has no movie catalogue: titles and genres are empty`);
  const data: ServingData = {
    key,
    name,
    catalogue: dataset.catalogue,
    histories,
    genres: genreIndex(dataset.catalogue.all()),
    ratedMovies: countDistinct(dataset.ratings.columns.movies),
  };
  if (needPopularity) data.popularity = PopularityModel.train(buildInteractions(dataset.ratings.columns), dataset.catalogue);
  return data;
}

/** The fingerprint the import recorded, else the ratings file's size and time: cheap, no read of the data. */
function dataIdentity(dir: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')) as { fingerprint?: unknown };
    if (typeof manifest.fingerprint === 'string') return manifest.fingerprint;
  } catch {
    // no manifest: fall through
  }
  try {
    const s = statSync(join(dir, 'ratings.bin'));
    return `${s.size}-${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

async function popularityFromDataset(dataDir: string, name: string, catalogue: Catalogue): Promise<PopularityModel> {
  const dataset = await loadDataset(datasetDir(dataDir, name));
  return PopularityModel.train(buildInteractions(dataset.ratings.columns), catalogue);
}

function genreIndex(movies: Movie[]): Map<string, { name: string; movies: Int32Array }> {
  const lists = new Map<string, { name: string; ids: number[] }>();
  for (const m of movies) {
    for (const g of m.genres) {
      const k = g.toLowerCase();
      let l = lists.get(k);
      if (!l) lists.set(k, (l = { name: g, ids: [] }));
      l.ids.push(m.movieId);
    }
  }
  const out = new Map<string, { name: string; movies: Int32Array }>();
  for (const [k, l] of lists) out.set(k, { name: l.name, movies: Int32Array.from(l.ids) });
  return out;
}

function countDistinct(ids: Int32Array): number {
  if (ids.length === 0) return 0;
  let max = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
  if (max > 1 << 26) return new Set(ids).size;
  const seen = new Uint8Array(max + 1);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    if (seen[ids[i]] === 0) {
      seen[ids[i]] = 1;
      n++;
    }
  }
  return n;
}
