// Options `train` and `evaluate` share: where the ratings come from, which models, their parameters.
import { InvalidArgumentError, type Command } from 'commander';
import { DatasetSourceError } from '../recommend/data/import.js';
import { openTrainingData, type Dataset } from '../recommend/data/dataset.js';
import type { ModelName } from '../recommend/models/recommender.js';
import { DEFAULT_TRAIN_PARAMS, type TrainParams } from '../recommend/train/fit-models.js';
import { phaseClock } from '../util/progress-bar.js';
import { progress } from '../util/progress.js';
import { positiveInt } from './options.js';
import { UserError } from '../util/errors.js';

export const TRAINABLE: readonly ModelName[] = ['als', 'itemcf', 'content', 'hybrid', 'popularity'];

export interface DataFlags {
  dataDir?: string;
  data?: string;
  dataset?: string;
  fromLake?: boolean;
}

export interface ParamFlags {
  rank?: number;
  iterations?: number;
  lambda?: number;
  seed?: number;
  threads?: number;
  neighbours?: number;
  minCommon?: number;
  shrinkage?: number;
  similarity?: 'cosine' | 'adjusted-cosine';
}

/** "als,itemcf" → ['als', 'itemcf'], naming an unknown model. */
export function modelList(value: string): ModelName[] {
  const names = value.split(',').map((s) => s.trim().toLowerCase().replace(/[_-]/g, '')).filter(Boolean);
  const aliases: Record<string, ModelName> = { als: 'als', itemcf: 'itemcf', content: 'content', contentbased: 'content', hybrid: 'hybrid', popularity: 'popularity', popular: 'popularity' };
  const out: ModelName[] = [];
  for (const name of names) {
    const model = aliases[name];
    if (model === undefined) throw new InvalidArgumentError(`unknown model "${name}" (models: ${TRAINABLE.join(', ')}).`);
    if (!out.includes(model)) out.push(model);
  }
  if (out.length === 0) throw new InvalidArgumentError('name at least one model.');
  return out;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number above 0.');
  return n;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number, 0 or more.');
  return n;
}

function similarity(value: string): 'cosine' | 'adjusted-cosine' {
  if (value !== 'cosine' && value !== 'adjusted-cosine') throw new InvalidArgumentError('expected cosine or adjusted-cosine.');
  return value;
}

export function addDataSourceOptions(command: Command): Command {
  return command
    .option('--data <dir>', 'a MovieLens directory to import and use (default: the dataset imported into the data dir)')
    .option('--dataset <name>', 'an imported dataset by name (default: the most recently imported); with --data or --from-lake, the name to import under')
    .option('--from-lake', 'train on the ratings in the data dir\'s lake (what the stream has seen)', false);
}

export function addModelParamOptions(command: Command): Command {
  const d = DEFAULT_TRAIN_PARAMS;
  return command
    .option('--rank <n>', `ALS latent factors (default ${d.als.rank})`, positiveInt)
    .option('--iterations <n>', `ALS iterations (default ${d.als.iterations})`, positiveInt)
    .option('--lambda <x>', `ALS regularisation, weighted by each row's count (default ${d.als.lambda})`, positiveNumber)
    .option('--seed <n>', `random seed for initialisation and splits (default ${d.als.seed})`, positiveInt)
    .option('--threads <n>', 'worker threads (default: one per core)', positiveInt)
    .option('--neighbours <n>', `item-CF neighbours kept per movie (default ${d.itemcf.neighbours})`, positiveInt)
    .option('--min-common <n>', `item-CF: fewest common users for a similarity (default ${d.itemcf.minCommonUsers})`, positiveInt)
    .option('--shrinkage <x>', `item-CF similarity shrinkage (default ${d.itemcf.shrinkage})`, nonNegativeNumber)
    .option('--similarity <kind>', `item-CF: cosine or adjusted-cosine (default ${d.itemcf.similarity})`, similarity);
}

export function trainParams(flags: ParamFlags): TrainParams {
  const d = DEFAULT_TRAIN_PARAMS;
  return {
    als: { ...d.als, rank: flags.rank ?? d.als.rank, iterations: flags.iterations ?? d.als.iterations, lambda: flags.lambda ?? d.als.lambda, seed: flags.seed ?? d.als.seed },
    itemcf: {
      ...d.itemcf,
      neighbours: flags.neighbours ?? d.itemcf.neighbours,
      minCommonUsers: flags.minCommon ?? d.itemcf.minCommonUsers,
      shrinkage: flags.shrinkage ?? d.itemcf.shrinkage,
      similarity: flags.similarity ?? d.itemcf.similarity,
    },
    content: { ...d.content },
    hybrid: { ...d.hybrid, seed: flags.seed ?? d.hybrid.seed },
  };
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
    line.done('');
    return dataset;
  } catch (err) {
    line.done('');
    if (err instanceof DatasetSourceError) throw new UserError(err.message);
    throw err;
  }
}
