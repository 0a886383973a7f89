// Small synthetic datasets and trained models in a data dir, as `dataset synth` + `train` leave them.
import { Catalogue } from '../../../src/movies/catalogue.js';
import { loadDataset, type Dataset } from '../../../src/recommend/data/dataset.js';
import { datasetDir, storeDataset, writeManifest } from '../../../src/recommend/data/import.js';
import { buildInteractions, type Interactions } from '../../../src/recommend/data/interactions.js';
import { synthesize, type SynthOptions } from '../../../src/recommend/data/synth.js';
import type { AlsModel } from '../../../src/recommend/models/als/als.js';
import { trainAls, type AlsParams } from '../../../src/recommend/models/als/als-train.js';
import { DEFAULT_IALS_PARAMS, type IalsParams } from '../../../src/recommend/models/ials/ials-params.js';
import { PopularityModel } from '../../../src/recommend/models/popularity/popularity.js';
import type { ModelName } from '../../../src/recommend/models/model-kinds.js';
import type { Recommender, UserHistory } from '../../../src/recommend/models/recommender.js';
import { ModelRegistry, type ModelMetadata, type StagedVersion } from '../../../src/recommend/registry/registry.js';
import { DEFAULT_TRAIN_PARAMS, type TrainParams } from '../../../src/recommend/train/fit-models.js';
import { trainIntoRegistry } from '../../../src/recommend/train/train-registry.js';

export const SMALL_SYNTH: SynthOptions = { users: 300, movies: 150, ratings: 15_000, rank: 4, noise: 0.4, seed: 11, genomeTags: 8 };
export const SMALL_ALS: AlsParams = { rank: 4, iterations: 6, lambda: 0.1, seed: 42 };

/** Writes a synthetic dataset into `<dataDir>/datasets/<name>/` the way an import does, and loads it. */
export async function storeSynthDataset(dataDir: string, options: SynthOptions = SMALL_SYNTH, name = 'synth'): Promise<Dataset> {
  const s = synthesize(options);
  const dir = datasetDir(dataDir, name);
  const catalogue = Catalogue.fromMovies(s.movies);
  const fingerprint = storeDataset(dir, { columns: s.columns, catalogue, genome: s.genome, tags: s.tags, ratingsMeta: { source: 'synth' } });
  writeManifest(dir, {
    name, dir, layout: 'ratings.csv', ratingsFile: 'synth', moviesFile: 'synth',
    ratings: s.columns.users.length, users: new Set(s.columns.users).size, movies: new Set(s.columns.movies).size,
    catalogueMovies: catalogue.size, badLines: 0, badLinesByFile: {}, fingerprint, sourceFiles: [], durationMs: 0,
  });
  return loadDataset(dir);
}

/** Trains ALS on the whole dataset (one thread: tests share the machine). */
export async function fitAls(dataset: Dataset, params: AlsParams = SMALL_ALS, data: Interactions = buildInteractions(dataset.ratings.columns)): Promise<AlsModel> {
  return trainAls(data, params, { threads: 1 });
}

/** Saves a model into a staged registry version; `commit` it to publish (and switch `latest`). */
export function stageModel(registry: ModelRegistry, model: Recommender & { save(dir: string): string[] }): StagedVersion {
  const staged = registry.stage(model.name);
  model.save(staged.dir);
  return staged;
}

export function commitModel(registry: ModelRegistry, staged: StagedVersion, dataset: Dataset, params: Record<string, unknown> = {}): ModelMetadata {
  return registry.commit(staged, {
    params,
    dataFingerprint: dataset.ratings.fingerprint,
    dataset: { name: dataset.name, ratings: dataset.ratings.columns.users.length, users: Number(dataset.manifest.users ?? 0), movies: Number(dataset.manifest.movies ?? 0) },
    trainingSeconds: 0,
  });
}

/** ALS and popularity trained and committed, as `streamrec train --models als,popularity` leaves them. */
export async function trainIntoDataDir(dataDir: string, dataset: Dataset, als: AlsParams = SMALL_ALS): Promise<{ als: AlsModel; popularity: PopularityModel; versions: { als: string; popularity: string } }> {
  const registry = new ModelRegistry(dataDir);
  const data = buildInteractions(dataset.ratings.columns);
  const alsModel = await fitAls(dataset, als, data);
  const popularity = PopularityModel.train(data, dataset.catalogue);
  const a = commitModel(registry, stageModel(registry, alsModel), dataset, { ...als });
  const p = commitModel(registry, stageModel(registry, popularity), dataset);
  return { als: alsModel, popularity, versions: { als: a.version, popularity: p.version } };
}

/** iALS at a rank and iteration count this data's rank 4 needs (the defaults are for MovieLens). */
export const SMALL_IALS: IalsParams = { ...DEFAULT_IALS_PARAMS, rank: 8, iterations: 4 };

/** Small-data parameters for every model (ALS as SMALL_ALS, iALS as SMALL_IALS; the hybrid fits on the few users there are). */
export const SMALL_TRAIN: TrainParams = { ...DEFAULT_TRAIN_PARAMS, als: SMALL_ALS, ials: SMALL_IALS, hybrid: { ...DEFAULT_TRAIN_PARAMS.hybrid, users: 200 } };

/** Every hybrid component (als, itemcf, content, ease, ials, rp3beta, popularity) and the hybrid trained and committed, as `streamrec train` leaves them; their versions. */
export async function trainAllIntoDataDir(dataDir: string, dataset: Dataset, params: TrainParams = SMALL_TRAIN, force = false): Promise<Record<ModelName, string>> {
  const outcomes = await trainIntoRegistry({
    dataset,
    models: ['als', 'itemcf', 'content', 'ease', 'ials', 'rp3beta', 'popularity', 'hybrid'],
    params,
    registry: new ModelRegistry(dataDir),
    force,
    hooks: { threads: 1 },
    // The held-out metrics double the training time; the tests that want them run `train` itself.
    evaluate: false,
  });
  return Object.fromEntries(outcomes.map((o) => [o.model, o.metadata.version])) as Record<ModelName, string>;
}

/** A user of the dataset with between `min` and `max` ratings (the first by id order of appearance). */
export function userWithRatings(dataset: Dataset, min = 20, max = 40): number {
  const counts = new Map<number, number>();
  for (const u of dataset.ratings.columns.users) counts.set(u, (counts.get(u) ?? 0) + 1);
  const found = [...counts].find(([, c]) => c >= min && c <= max);
  if (found === undefined) throw new Error(`no user with ${min}..${max} ratings`);
  return found[0];
}

/**
 * Clients asking /recommend in a loop (known users and a few unknown, cache on every other
 * request) while a test swaps models: counts statuses and the model versions that answered.
 */
export function hammer(base: string, clients: number, users = 320): { requests: () => number; stop: () => Promise<{ statuses: Map<number, number>; versions: Set<string> }> } {
  const statuses = new Map<number, number>();
  const versions = new Set<string>();
  let stopped = false;
  let requests = 0;
  const client = async (worker: number) => {
    for (let i = 0; !stopped; i++) {
      const res = await fetch(`${base}/recommendations/recommend/${1 + ((worker * 97 + i * 13) % users)}?n=10&use_cache=${i % 2 === 0}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const body = (await res.json()) as { model_version?: string };
      if (res.status === 200 && body.model_version !== undefined) versions.add(body.model_version);
      requests++;
    }
  };
  const running = Array.from({ length: clients }, (_, w) => client(w));
  return {
    requests: () => requests,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
      return { statuses, versions };
    },
  };
}

/** A user's training ratings, straight from the columns (a brute-force reference for the served history). */
export function historyOf(dataset: Dataset, userId: number): UserHistory {
  const { users, movies, ratings } = dataset.ratings.columns;
  const m: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < users.length; i++) {
    if (users[i] === userId) {
      m.push(movies[i]!);
      r.push(ratings[i]!);
    }
  }
  return { userId, movies: Int32Array.from(m), ratings: Float32Array.from(r) };
}
