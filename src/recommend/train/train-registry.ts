// `streamrec train`: fits the requested models on a dataset and commits each as a new registry
// version, unless a version trained on the same data with the same parameters exists (then it is
// skipped, as the old train_all_models.sh did, unless `force`).
import type { Dataset } from '../data/dataset.js';
import { buildInteractions, type Interactions } from '../data/interactions.js';
import { evaluateRatings } from '../evaluate/evaluate.js';
import type { RatingMetrics } from '../evaluate/metrics.js';
import { randomSplit, type Split } from '../evaluate/splits.js';
import { loadRegisteredModel } from '../models/load-model.js';
import type { FitHooks, Fitted } from '../models/model-kind.js';
import { fitOrder, HYBRID_COMPONENTS, modelKind, type ModelName, type TrainParams } from '../models/model-kinds.js';
import type { Recommender } from '../models/recommender.js';
import type { DatasetSummary, HeldOutInfo, ModelMetadata, ModelRegistry } from '../registry/registry.js';
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
  /**
   * Held-out rating metrics for each model trained (default true): the same kind with the same
   * parameters is fitted again on a random 80 % of the ratings (seeded by ALS's seed) and scored on
   * the other 20 %; the model committed is still the one fitted on all of them. false skips it.
   */
  evaluate?: boolean;
}

/** The train-time split: a random 80/20 of the rows, as the old training script did. */
export const HELD_OUT_FRACTION = 0.2;

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
  const { base, blending } = fitOrder(request.models);
  const order: ModelName[] = [...base, ...blending];

  const outcomes: TrainOutcome[] = [];
  let data: ReturnType<typeof buildInteractions> | undefined;
  const matrix = () => (data ??= buildInteractions(columns));
  const source = { columns, catalogue: dataset.catalogue, genome: dataset.genome, tags: dataset.tags };
  const fresh = new Map<ModelName, Recommender>();
  const heldOut = request.evaluate === false ? undefined : new HeldOutRun(dataset, params, hooks);

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
    const trainingSeconds = round2((performance.now() - started) / 1000);
    const scored = heldOut === undefined ? undefined : await heldOut.score(model);
    const staged = registry.stage(model);
    fitted.model.save(staged.dir);
    const metadata = registry.commit(staged, {
      params: modelParams,
      dataFingerprint: fingerprint,
      dataset: datasetSummary(dataset),
      trainingSeconds,
      source: 'streamrec',
      ...(components !== undefined ? { components } : {}),
      metrics: scored === undefined ? {} : flatMetrics(scored),
      ...(scored !== undefined && heldOut !== undefined ? { heldOut: heldOut.info() } : {}),
      ...(Object.keys(extra).length > 0 ? { training: extra } : {}),
    });
    const outcome: TrainOutcome = { model, status: 'trained', metadata, seconds: (performance.now() - started) / 1000 };
    outcomes.push(outcome);
    request.onModel?.(outcome);
  }
  return outcomes.filter((o) => wanted.has(o.model));
}

/** RMSE, MAE, MSE and R², rounded to 4 decimals (null when there was nothing to measure). */
export function flatMetrics(m: RatingMetrics): Record<string, number | null> {
  const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10000) / 10000 : null);
  return { rmse: r4(m.rmse), mae: r4(m.mae), mse: r4(m.mse), r2: r4(m.r2) };
}

/**
 * The held-out side of a `train` run: one seeded random 80/20 split of the rows, each kind fitted
 * on the 80 % (a blend on components fitted there too) and scored on the 20 %.
 */
class HeldOutRun {
  private split: Split | undefined;
  private matrix: Interactions | undefined;
  /** Components fitted on the 80 %, for a blend scored later in the run. */
  private readonly fitted = new Map<ModelName, Recommender>();

  constructor(
    private readonly dataset: Dataset,
    private readonly params: TrainParams,
    private readonly hooks: FitHooks,
  ) {}

  info(): HeldOutInfo {
    const split = this.sides();
    const seed = this.params.als.seed;
    return { split: `random 80/20 split (seed ${seed})`, seed, testFraction: HELD_OUT_FRACTION, trainRatings: split.train.length, testRatings: split.test.length, storedModelTrainedOn: 'all' };
  }

  async score(model: ModelName): Promise<RatingMetrics> {
    const split = this.sides();
    const columns = this.dataset.ratings.columns;
    const train = (this.matrix ??= buildInteractions(columns, split.train));
    const fitted = await this.fit(model);
    const metrics = evaluateRatings({ columns, split, model: fitted, train, onProgress: (done, total) => this.hooks.onProgress?.(model, 'held-out scoring', done, total) });
    // Only a blend's components are needed again.
    if (!HYBRID_COMPONENTS.includes(model)) this.fitted.delete(model);
    return metrics;
  }

  private async fit(model: ModelName): Promise<Recommender> {
    const have = this.fitted.get(model);
    if (have !== undefined) return have;
    const split = this.sides();
    const columns = this.dataset.ratings.columns;
    const source = { columns, rows: split.train, catalogue: this.dataset.catalogue, genome: this.dataset.genome, tags: this.dataset.tags };
    const hooks: FitHooks = { ...this.hooks, onProgress: (m, phase, done, total) => this.hooks.onProgress?.(model, `held-out fit (80 %): ${m === model ? '' : `${m} `}${phase}`, done, total) };
    let components: Map<string, Recommender> | undefined;
    if (modelKind(model).blends) {
      components = new Map();
      for (const name of HYBRID_COMPONENTS) components.set(name, await this.fit(name));
    }
    const fitted = (await fitKind(model, () => (this.matrix ??= buildInteractions(columns, split.train)), source, this.params, hooks, components)).model;
    this.fitted.set(model, fitted);
    return fitted;
  }

  private sides(): Split {
    return (this.split ??= randomSplit(this.dataset.ratings.columns, { testFraction: HELD_OUT_FRACTION, seed: this.params.als.seed }));
  }
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
