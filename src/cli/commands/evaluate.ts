import { Command, InvalidArgumentError } from 'commander';
import { resolveDataDir } from '../../util/config.js';
import { averageResults, evaluateModels, evaluationReport, formatComparisonTable, type EvaluationResult } from '../../recommend/evaluate/evaluate.js';
import { formatPublishedAnchors, PUBLISHED_ANCHORS, PUBLISHED_SOURCE } from '../../recommend/evaluate/published-anchors.js';
import { kFold, randomSplit, stratifiedKFold, stratifiedSplit, temporalLeaveLastOut, type Split } from '../../recommend/evaluate/splits.js';
import type { RatingColumns } from '../../recommend/data/ratings-parse.js';
import type { ModelName } from '../../recommend/models/model-kinds.js';
import { ModelRegistry } from '../../recommend/registry/registry.js';
import { fitModels } from '../../recommend/train/fit-models.js';
import { peakRssMb } from '../../util/memory.js';
import { phaseClock } from '../../util/progress-bar.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, interruptSignal } from '../context.js';
import { positiveInt } from '../options.js';
import { addDataSourceOptions, DEFAULT_MODELS, addModelParamOptions, modelList, openDataFromFlags, trainParams, type DataFlags, type ParamFlags } from '../training-options.js';

type SplitKind = 'random' | 'stratified' | 'temporal';

interface EvaluateFlags extends DataFlags, ParamFlags {
  models: ModelName[];
  split: SplitKind;
  cv?: number;
  validation: boolean;
  k: number;
  users: number;
  json: boolean;
  store: boolean;
}

function splitKind(value: string): SplitKind {
  if (value !== 'random' && value !== 'stratified' && value !== 'temporal') throw new InvalidArgumentError('expected random, stratified or temporal.');
  return value;
}

export function evaluateCommand(): Command {
  const command = new Command('evaluate')
    .description('train every model on a split and compare them: RMSE, MAE, MSE, R² and top-K precision, recall, NDCG, MAP, hit rate, coverage, training seconds')
    .option('--models <list>', 'comma-separated models to compare (a popularity baseline is always added)', modelList, DEFAULT_MODELS)
    .option('--split <kind>', 'random 80/20, stratified (per user 75/25) or temporal (per user, leave the last out)', splitKind, 'random' as SplitKind)
    .option('--cv <k>', 'k-fold cross-validation instead of one split (random folds; per-user folds with --split stratified)', positiveInt)
    .option('--validation', 'score on a per-user 75/25 split of the training side instead, never reading the test side: for choosing parameters', false)
    .option('--k <n>', 'the list length for the top-K metrics', positiveInt, 10)
    .option('--users <n>', 'test users sampled for the top-K metrics (every test rating is predicted)', positiveInt, 5000)
    .option('--json', 'print the comparison as JSON', false)
    .option('--no-store', 'do not record the results in the registry models\' metadata');
  addDataSourceOptions(command);
  addModelParamOptions(command);
  command
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  streamrec evaluate --data ./ml-latest-small',
        '  streamrec evaluate --split stratified --k 10        # the protocol of the Microsoft Recommenders benchmark',
        '  streamrec evaluate --cv 5 --models als --json',
        '  streamrec evaluate --split stratified --validation --models ease --ease-lambda 200   # tune on validation',
        '',
        'With --split stratified and --k 10 the table is followed by the published figures of that protocol',
        '(Microsoft Recommenders, MovieLens 100K), for reference: published, not measured here.',
        '',
        'Splits are deterministic for a --seed. Models are trained on the training side only; the results are',
        'stored in the metadata of each registry model trained on the same data (unless --no-store), under',
        '"evaluations"."<protocol>" in its metadata.json; "metrics" (train\'s held-out figures) is left as it is.',
      ].join('\n'),
    )
    .action(async (flags: EvaluateFlags) => runEvaluate(flags));
  return addDataDirOption(command);
}

function protocolOf(flags: EvaluateFlags, seed: number): string {
  const outer = outerProtocol(flags, seed);
  return flags.validation ? `validation: per-user 75/25 of the training side (seed ${seed + 1}) of ${outer}` : outer;
}

function outerProtocol(flags: EvaluateFlags, seed: number): string {
  if (flags.cv !== undefined) return `${flags.cv}-fold cross-validation (${flags.split === 'stratified' ? 'per-user' : 'random'} folds, seed ${seed}), top-${flags.k}`;
  if (flags.split === 'stratified') return `per-user stratified 75/25 split (seed ${seed}), top-${flags.k}`;
  if (flags.split === 'temporal') return `per-user temporal leave-last-out, top-${flags.k}`;
  return `random 80/20 split (seed ${seed}), top-${flags.k}`;
}

function splitsOf(columns: RatingColumns, flags: EvaluateFlags, seed: number): Split[] {
  const outer = outerSplits(columns, flags, seed);
  // Validation: the training side split again, per user; the test side is never read.
  return flags.validation ? outer.map((split) => stratifiedSplit(columns, { testFraction: 0.25, seed: seed + 1, rows: split.train })) : outer;
}

function outerSplits(columns: RatingColumns, flags: EvaluateFlags, seed: number): Split[] {
  if (flags.cv !== undefined) {
    if (flags.cv < 2) throw new InvalidArgumentError('--cv needs at least 2 folds.');
    if (flags.split === 'temporal') throw new InvalidArgumentError('--cv takes random folds, or per-user folds with --split stratified; a temporal split has one fold.');
    return flags.split === 'stratified' ? stratifiedKFold(columns, { k: flags.cv, seed }) : kFold(columns, { k: flags.cv, seed });
  }
  if (flags.split === 'stratified') return [stratifiedSplit(columns, { testFraction: 0.25, seed })];
  if (flags.split === 'temporal') return [temporalLeaveLastOut(columns)];
  return [randomSplit(columns, { testFraction: 0.2, seed })];
}

/** The published anchors apply to the per-user stratified protocol at top 10. */
function anchorsApply(flags: EvaluateFlags): boolean {
  return flags.split === 'stratified' && flags.k === 10;
}

async function runEvaluate(flags: EvaluateFlags): Promise<void> {
  const dataDir = resolveDataDir(flags.dataDir);
  const dataset = await openDataFromFlags(dataDir, flags);
  const params = trainParams(flags);
  const seed = params.als.seed;
  const protocol = protocolOf(flags, seed);
  const names: ModelName[] = [...flags.models.filter((m) => m !== 'popularity'), 'popularity'];
  const columns = dataset.ratings.columns;
  const splits = splitsOf(columns, flags, seed);
  process.stderr.write(`streamrec: evaluating ${names.join(', ')} on ${dataset.name} (${columns.users.length.toLocaleString('en-US')} ratings), ${protocol}\n`);

  const line = progress(process.stderr);
  const clock = phaseClock();
  const signal = interruptSignal();
  const perFold: EvaluationResult[][] = [];
  for (const [f, split] of splits.entries()) {
    const fold = splits.length > 1 ? `fold ${f + 1}/${splits.length} ` : '';
    const trained = await fitModels({ columns, rows: split.train, catalogue: dataset.catalogue, genome: dataset.genome, tags: dataset.tags }, names, params, {
      threads: flags.threads,
      signal,
      onProgress: (model, phase, done, total) => line.update(clock.line(`${fold}training ${model}: ${phase}`, done, total)),
    });
    const models = names.map((n) => trained.models.get(n)).filter((m) => m !== undefined);
    const results = evaluateModels({
      columns, split, models, k: flags.k, maxUsers: flags.users, seed,
      onProgress: (model, done, total) => line.update(clock.line(`${fold}evaluating ${model}`, done, total)),
    });
    perFold.push(results.map((r) => ({ ...r, trainingSeconds: trained.seconds.get(r.model as ModelName) })));
  }
  line.done('');
  const results = perFold.length > 1 ? averageResults(perFold) : perFold[0];

  // Validation figures are not the models' test figures: not stored.
  if (flags.store && !flags.validation) storeResults(new ModelRegistry(dataDir), dataset.ratings.fingerprint, protocol, results);
  const anchors = anchorsApply(flags);
  if (flags.json) {
    const published = anchors ? { published: { note: 'published, not measured', source: PUBLISHED_SOURCE, results: PUBLISHED_ANCHORS } } : {};
    process.stdout.write(`${JSON.stringify({ dataset: dataset.name, ...evaluationReport(results, protocol), ...published }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  } else {
    process.stdout.write(`${formatComparisonTable(results, protocol)}\n`);
    if (anchors) process.stdout.write(`\n${formatPublishedAnchors()}\n\n`);
    process.stdout.write(`peak memory: ${peakRssMb()} MB\n`);
  }
}

/** Records each result under `evaluations[protocol]` of the latest registry version of that model when it was trained on the same data. */
function storeResults(registry: ModelRegistry, fingerprint: string, protocol: string, results: EvaluationResult[]): void {
  for (const result of results) {
    const latest = registry.latest(result.model as ModelName);
    if (latest === undefined || latest.dataFingerprint !== fingerprint) continue;
    registry.updateEvaluation(result.model as ModelName, latest.version, protocol, { ...result, evaluatedAt: new Date().toISOString() });
  }
}
