// `streamrec train`: fits the requested models on a dataset and commits each as a new registry
// version, unless a version trained on the same data with the same parameters exists (then it is
// skipped, as the old train_all_models.sh did, unless `force`).
import type { Dataset } from '../data/dataset.js';
import { buildInteractions } from '../data/interactions.js';
import { loadRegisteredModel } from '../models/load-model.js';
import type { FitHooks, Fitted } from '../models/model-kind.js';
import { BLENDING_MODELS, HYBRID_COMPONENTS, modelKind, type ModelName, type TrainParams } from '../models/model-kinds.js';
import type { Recommender } from '../models/recommender.js';
import type { DatasetSummary, ModelMetadata, ModelRegistry } from '../registry/registry.js';
import { fitKind } from './fit-models.js';

export interface TrainOutcome {
  model: ModelName;
  status: 'trained' | 'skipped';
  metadata: ModelMetadata;
  seconds: number;
}

export interface TrainRequest {
  dataset: Dataset;
  models: readonly ModelName[];
  params: TrainParams;
  registry: ModelRegistry;
  force?: boolean;
  hooks?: FitHooks;
  /** Called when a model is done (trained or skipped), for a line per model. */
  onModel?: (outcome: TrainOutcome) => void;
}

/** The parameters a model's version is identified by (with the data fingerprint). */
export function paramsOf(model: ModelName, params: TrainParams, components?: Record<string, string>): Record<string, unknown> {
  return modelKind(model).blends ? { ...params[model], components: components ?? {} } : { ...params[model] };
}

export async function trainIntoRegistry(request: TrainRequest): Promise<TrainOutcome[]> {
  const { dataset, registry, params } = request;
  const hooks = request.hooks ?? {};
  const fingerprint = dataset.ratings.fingerprint;
  const columns = dataset.ratings.columns;
  const wanted = new Set(request.models);
  // A hybrid needs every component in the registry: train the missing ones too.
  const blending = BLENDING_MODELS.filter((m) => wanted.has(m));
  const order: ModelName[] = HYBRID_COMPONENTS.filter((m) => wanted.has(m) || blending.length > 0);
  for (const m of request.models) if (!order.includes(m) && !blending.includes(m)) order.push(m);
  order.push(...blending);

  const outcomes: TrainOutcome[] = [];
  let data: ReturnType<typeof buildInteractions> | undefined;
  const matrix = () => (data ??= buildInteractions(columns));
  const source = { columns, catalogue: dataset.catalogue, genome: dataset.genome, tags: dataset.tags };
  const fresh = new Map<ModelName, Recommender>();

  for (const model of order) {
    const started = performance.now();
    const blends = modelKind(model).blends;
    const components = blends ? componentVersions(outcomes) : undefined;
    const modelParams = paramsOf(model, params, components);
    const existing = request.force === true ? undefined : registry.find(model, fingerprint, modelParams);
    if (existing !== undefined) {
      if (registry.latestVersion(model) !== existing.version) registry.setLatest(model, existing.version);
      const outcome: TrainOutcome = { model, status: 'skipped', metadata: existing, seconds: (performance.now() - started) / 1000 };
      outcomes.push(outcome);
      request.onModel?.(outcome);
      continue;
    }
    let fitted: Fitted;
    if (blends) {
      // The components as registered (this run's, else the versions skipped to).
      const loaded = new Map<string, Recommender>();
      for (const name of HYBRID_COMPONENTS) {
        const version = components?.[name] as string;
        loaded.set(name, fresh.get(name) ?? (await loadRegisteredModel(registry, name, version)));
      }
      // A blend fits its weights on a split of the rows, not on the matrix of all of them.
      fitted = await fitKind(model, matrix, source, params, hooks, loaded);
    } else {
      fitted = await fitKind(model, matrix, source, params, hooks);
      fresh.set(model, fitted.model);
    }
    const extra = fitted.training ?? {};
    const staged = registry.stage(model);
    fitted.model.save(staged.dir);
    const metadata = registry.commit(staged, {
      params: modelParams,
      dataFingerprint: fingerprint,
      dataset: datasetSummary(dataset),
      trainingSeconds: round2((performance.now() - started) / 1000),
      source: 'streamrec',
      ...(components !== undefined ? { components } : {}),
      ...(Object.keys(extra).length > 0 ? { metrics: { training: extra } } : {}),
    });
    const outcome: TrainOutcome = { model, status: 'trained', metadata, seconds: (performance.now() - started) / 1000 };
    outcomes.push(outcome);
    request.onModel?.(outcome);
  }
  return outcomes.filter((o) => wanted.has(o.model));
}

function componentVersions(outcomes: TrainOutcome[]): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const o of outcomes) versions[o.model] = o.metadata.version;
  return versions;
}

export function datasetSummary(dataset: Dataset): DatasetSummary {
  const m = dataset.manifest as { users?: number; movies?: number };
  return { name: dataset.name, ratings: dataset.ratings.columns.users.length, users: m.users ?? 0, movies: m.movies ?? 0 };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
