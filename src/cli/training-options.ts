// Options `train` and `evaluate` share: where the ratings come from, which models, their parameters.
import { InvalidArgumentError, type Command } from 'commander';
import { openTrainingData, type Dataset } from '../recommend/data/dataset.js';
import { DEFAULT_TRAIN_PARAMS, MODEL_NAMES, modelKind, type ModelName, type TrainParams } from '../recommend/models/model-kinds.js';
import type { ParamOption } from '../recommend/models/model-kind.js';
import { phaseClock } from '../util/progress-bar.js';
import { progress } from '../util/progress.js';
import { forCommander, positiveInt } from './options.js';
import { UserError } from '../util/errors.js';

export const TRAINABLE: readonly ModelName[] = MODEL_NAMES;
/** What `train` and `evaluate` take without --models: every kind a client can ask for, in table order. */
export const DEFAULT_MODELS: ModelName[] = MODEL_NAMES.filter((n) => modelKind(n).servable);

export interface DataFlags {
  dataDir?: string;
  data?: string;
  dataset?: string;
  fromLake?: boolean;
}

/** `--threads` and every model parameter flag, by commander's attribute name (`--min-common` → minCommon). */
export interface ParamFlags {
  threads?: number;
  [attribute: string]: unknown;
}

/** "als,itemcf" → ['als', 'itemcf'], naming an unknown model. */
export function modelList(value: string): ModelName[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase().replace(/[_-]/g, '')).filter(Boolean);
  const aliases = new Map<string, ModelName>();
  for (const name of MODEL_NAMES) for (const alias of [name, ...modelKind(name).aliases]) aliases.set(alias, name);
  const out: ModelName[] = [];
  for (const name of names) {
    const model = aliases.get(name);
    if (model === undefined) throw new InvalidArgumentError(`unknown model "${name}" (models: ${TRAINABLE.join(', ')}).`);
    if (!out.includes(model)) out.push(model);
  }
  if (out.length === 0) throw new InvalidArgumentError('name at least one model.');
  return out;
}

interface FlagOf {
  kind: ModelName;
  option: ParamOption<unknown>;
}

/** Every kind's parameter flags, in table order; a flag several kinds declare is listed once per kind. */
function paramFlags(): FlagOf[] {
  return MODEL_NAMES.flatMap((kind) => (modelKind(kind).options as readonly ParamOption<unknown>[]).map((option) => ({ kind, option })));
}

/** commander's attribute name of a flag: `--min-common <n>` → minCommon. */
function attributeOf(flag: string): string {
  const long = flag.split(/[ ,|]+/).find((part) => part.startsWith('--')) ?? flag;
  return long.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function addDataSourceOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'a MovieLens directory to import and use (default: the dataset imported into the data dir)')
    .option('--dataset <name>', 'an imported dataset by name (default: the most recently imported); with --data or --from-lake, the name to import under')
    .option('--from-lake', 'train on the ratings in the data dir\'s lake (what the stream has seen)', false);
}

export function addModelParamOptions(command: Command): Command {
  const added = new Set<string>();
  for (const { kind, option } of paramFlags()) {
    if (added.has(option.flag)) continue;
    added.add(option.flag);
    command.option(option.flag, option.describe(modelKind(kind).defaults), forCommander(option.parse));
  }
  return command.option('--threads <n>', 'worker threads (default: one per core)', positiveInt);
}

/** Each kind's defaults with the flags given applied (a flag several kinds declare sets each). */
export function trainParams(flags: ParamFlags): TrainParams {
  const params = structuredClone(DEFAULT_TRAIN_PARAMS) as unknown as Record<ModelName, Record<string, unknown>>;
  for (const { kind, option } of paramFlags()) {
    const value = flags[attributeOf(option.flag)];
    if (value !== undefined) params[kind][option.key] = value;
  }
  return params as unknown as TrainParams;
}

/** Opens the training data the flags name, with an import progress line; source problems become one-line errors. */
export async function openDataFromFlags(dataDir: string, flags: DataFlags): Promise<Dataset> {
  if (flags.data !== undefined && flags.fromLake === true) throw new UserError('use --data or --from-lake, not both');
  const line = progress(process.stderr);
  const clock = phaseClock();
  try {
    const dataset = await openTrainingData({
      dataDir,
      data: flags.data,
      dataset: flags.dataset,
      fromLake: flags.fromLake === true,
      onProgress: (p) => line.update(clock.line('importing', p.overallBytesRead, p.overallTotalBytes)),
    });
    return dataset;
  } finally {
    line.done('');
  }
}
