// What the server serves at one moment: the loaded models with their versions, the dataset they
// were trained on (catalogue and users' histories) and the popularity fallback. Immutable once
// built; a reload builds a new one beside it and the service swaps one reference.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { loadRegisteredModel } from '../models/load-model.js';
import { HybridModel } from '../models/hybrid/hybrid.js';
import { PopularityModel } from '../models/popularity/popularity.js';
import { LOAD_ORDER, RATING_SERVING_MODELS, SERVING_MODELS, type ModelName, type ServingModelName } from '../models/model-kinds.js';
import type { Recommender } from '../models/recommender.js';
import type { ModelMetadata, ModelRegistry } from '../registry/registry.js';
import { datasetPopularity, loadServingData, type ServingData } from './serving-data.js';
import { StreamrecError } from '../../util/errors.js';

export type { ServingData } from './serving-data.js';

/** A model whose latest version could not be loaded. */
export interface LoadFailure {
  model: ModelName;
  version: string;
  error: string;
  /** The version served instead (the one loaded before), if any. */
  serving?: string;
}

export interface ModelSet {
  models: ReadonlyMap<ServingModelName, Recommender>;
  /** Versions of every model in the set, the popularity fallback included when it is registered. */
  versions: Partial<Record<ModelName, string>>;
  metadata: Partial<Record<ModelName, ModelMetadata>>;
  /** What recommend and similar use when no model is asked for: the loaded kind that ranks best (table preference). */
  defaultModel: ServingModelName;
  /**
   * What predict uses when no model is asked for: the loaded kind that predicts ratings best
   * (table rating preference), else the default model.
   */
  defaultRatingModel: ServingModelName;
  popularity: PopularityModel;
  /**
   * Every popularity instance in the set that streamed ratings must reach: the fallback and the
   * hybrid's component (the same instance unless the hybrid blends another popularity version).
   */
  streamedPopularity: readonly PopularityModel[];
  data: ServingData;
  loadedAt: string;
  /** Things worth telling an operator: models skipped and why. */
  notes: string[];
  failures: LoadFailure[];
}

/** The version of each model `latest` points to now (absent: none). */
export function latestVersions(registry: ModelRegistry): Partial<Record<ModelName, string>> {
  const out: Partial<Record<ModelName, string>> = {};
  for (const name of LOAD_ORDER) {
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

/** No servable model is registered (yet). */
export class NoModelError extends StreamrecError {
  override name = 'NoModelError';
  constructor(message: string) {
    super(message, { code: 'no-model', status: 503 });
  }
}

/**
 * Loads the latest version of every model into a new set. The dataset is the default model's
 * (the first registered in the table's preference order: hybrid, EASE, RP3beta, item-CF, ALS, content); models trained on another dataset are skipped with a note,
 * since one catalogue and one set of histories is served. Each model loads on its own: one that
 * fails is reported in `failures` and, when `previous` served it on the same data, its version
 * there keeps serving. A version already in `previous` is taken as loaded (popularity keeps what
 * it streamed), and a hybrid blends the component instances of this set when the versions match.
 * Every newly loaded model answers one recommendation before the set is returned, so the first
 * request after the swap does not pay for lazy set-up.
 * Throws NoModelError when no serving model is registered, and an error naming the failures when
 * none could be loaded.
 */
export async function loadModelSet(registry: ModelRegistry, dataDir: string, previous: ModelSet | null): Promise<ModelSet> {
  const notes: string[] = [];
  const failures: LoadFailure[] = [];
  const metadata: Partial<Record<ModelName, ModelMetadata>> = {};
  for (const name of LOAD_ORDER) {
    try {
      const meta = registry.latest(name);
      if (meta) metadata[name] = meta;
    } catch (err) {
      failures.push({ model: name, version: safeLatestVersion(registry, name), error: (err as Error).message });
    }
  }
  const first = SERVING_MODELS.find((m) => metadata[m] !== undefined);
  if (first === undefined) {
    if (failures.length > 0) throw new Error(describeFailures(failures));
    throw new NoModelError('no recommendation model in the registry');
  }
  const datasetName = metadata[first]!.dataset.name;
  for (const name of Object.keys(metadata) as ModelName[]) {
    const other = metadata[name]!.dataset.name;
    if (other !== datasetName) {
      notes.push(`${name} ${metadata[name]!.version} skipped: trained on dataset "${other}", serving "${datasetName}" (the ${first} model's)`);
      delete metadata[name];
    }
  }

  const data = await loadServingData(dataDir, datasetName, previous?.data ?? null, notes);
  const sameData = previous !== null && previous.data === data;
  const loaded = new Map<ModelName, { version: string; model: Recommender }>();
  // An instance of `name` at `version` already in hand: this set's, else the previous set's.
  const inHand = (name: ModelName, version: string): Recommender | undefined => {
    const here = loaded.get(name);
    if (here?.version === version) return here.model;
    if (!sameData || previous.versions[name] !== version) return undefined;
    return name === 'popularity' ? previous.popularity : previous.models.get(name as ServingModelName);
  };

  for (const name of LOAD_ORDER) {
    const failed = failures.find((f) => f.model === name);
    const meta = metadata[name];
    if (meta) {
      const kept = inHand(name, meta.version);
      if (kept) {
        loaded.set(name, { version: meta.version, model: kept });
        continue;
      }
      try {
        const model = await loadRegisteredModel(registry, name, meta.version, { reuse: inHand });
        warmUp(model, data);
        loaded.set(name, { version: meta.version, model });
        await yieldToEventLoop();
        continue;
      } catch (err) {
        failures.push({ model: name, version: meta.version, error: (err as Error).message });
      }
    } else if (!failed) {
      continue; // not registered (or on another dataset)
    }
    // Its latest version failed: the one served before, on the same data, goes on serving.
    const failure = failures.find((f) => f.model === name)!;
    const before = sameData ? previous.versions[name] : undefined;
    const model = before === undefined ? undefined : inHand(name, before);
    if (before !== undefined && model !== undefined) {
      loaded.set(name, { version: before, model });
      failure.serving = before;
      notes.push(`${name} ${failure.version} failed to load: still serving ${name} ${before}`);
    } else {
      notes.push(`${name} ${failure.version} failed to load: not served`);
    }
  }

  const models = new Map<ServingModelName, Recommender>();
  const versions: Partial<Record<ModelName, string>> = {};
  for (const name of SERVING_MODELS) {
    const l = loaded.get(name);
    if (!l) continue;
    models.set(name, l.model);
    versions[name] = l.version;
  }
  const defaultModel = SERVING_MODELS.find((m) => models.has(m));
  if (defaultModel === undefined) throw new Error(describeFailures(failures));
  const defaultRatingModel = RATING_SERVING_MODELS.find((m) => models.has(m)) ?? defaultModel;

  let popularity: PopularityModel;
  const registered = loaded.get('popularity');
  if (registered && registered.model instanceof PopularityModel) {
    popularity = registered.model;
    versions.popularity = registered.version;
  } else {
    // Trained on the dataset once (in a worker) and kept with it for the sets that follow.
    popularity = await datasetPopularity(dataDir, data);
    notes.push(`no popularity model loaded: the fallback ranks dataset "${datasetName}" by Bayesian average`);
  }
  const streamedPopularity = [popularity];
  const hybrid = models.get('hybrid');
  const blended = hybrid instanceof HybridModel ? hybrid.components.get('popularity') : undefined;
  if (blended instanceof PopularityModel && blended !== popularity) streamedPopularity.push(blended);
  for (const name of Object.keys(metadata) as ModelName[]) if (versions[name] !== metadata[name]!.version) delete metadata[name];
  return { models, versions, metadata, defaultModel, defaultRatingModel, popularity, streamedPopularity, data, loadedAt: new Date().toISOString(), notes, failures };
}

/** One failure a line, for an error message. */
export function describeFailures(failures: readonly LoadFailure[]): string {
  return failures.map((f) => `${f.model} ${f.version}: ${f.error}`).join('; ');
}

/**
 * One recommendation from a freshly loaded model for a user of the dataset, so lazily built state
 * (ALS's scoring kernel, caches) exists before the model meets traffic. A model that throws
 * here is treated as one that failed to load.
 */
function warmUp(model: Recommender, data: ServingData): void {
  const users = data.histories.users;
  if (users.size === 0) return;
  const userId = users.ids[users.size >> 1];
  const trained = data.histories.of(userId)!;
  model.recommend({ userId, movies: trained.movies, ratings: trained.ratings }, 10);
}

function safeLatestVersion(registry: ModelRegistry, name: ModelName): string {
  try {
    return registry.latestVersion(name) ?? '(latest)';
  } catch {
    return '(latest)';
  }
}
