import { Command } from 'commander';
import { resolveDataDir } from '../../util/config.js';
import { CorruptArtefactError } from '../../recommend/models/array-file.js';
import { MODEL_NAMES, type ModelName } from '../../recommend/models/model-kinds.js';
import { ModelRegistry } from '../../recommend/registry/registry.js';
import { trainIntoRegistry, type TrainOutcome } from '../../recommend/train/train-registry.js';
import { formatDuration } from '../../util/duration.js';
import { peakRssMb } from '../../util/memory.js';
import { phaseClock } from '../../util/progress-bar.js';
import { progress } from '../../util/progress.js';
import { formatTable } from '../../util/table.js';
import { addDataDirOption, interruptSignal } from '../context.js';
import { addDataSourceOptions, DEFAULT_MODELS, addModelParamOptions, modelList, openDataFromFlags, trainParams, type DataFlags, type ParamFlags } from '../training-options.js';
import { UserError } from '../../util/errors.js';

interface TrainFlags extends DataFlags, ParamFlags {
  models: ModelName[];
  force: boolean;
  eval: boolean;
}

export function trainCommand(): Command {
  const command = new Command('train')
    .description('train recommenders (rating models, implicit-feedback ranking models, the hybrid, popularity) into the model registry')
    .option('--models <list>', `comma-separated: ${MODEL_NAMES.join(', ')}`, modelList, DEFAULT_MODELS)
    .option('--force', 'train again even when a model for the same data and parameters exists', false)
    .option('--no-eval', 'skip the held-out evaluation (about halves the time); metadata.json then has empty "metrics"');
  addDataSourceOptions(command);
  addModelParamOptions(command);
  command
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  streamrec dataset synth ./synth && streamrec train --data ./synth',
        '  streamrec train                          # the dataset imported into the data dir',
        '  streamrec train --models als --rank 32 --iterations 15',
        '  streamrec train --from-lake --models als,itemcf --force',
        '',
        'Each model becomes <data-dir>/models/<model>/<version>/ (artefacts + metadata.json) and',
        '<model>/latest points at it; a running `streamrec serve` picks it up by itself.',
        'A model already trained on the same data with the same parameters is skipped unless --force.',
        '',
        'Held-out metrics (unless --no-eval): the ratings are split at random 80/20 (seeded by --seed), each',
        'model kind is fitted a second time, with the same parameters, on the 80 % and its predicted ratings',
        'are scored on the 20 %: RMSE, MAE, MSE and R², printed one line per model and stored flat in the',
        'version\'s metadata.json as "metrics": {"rmse", "mae", "mse", "r2"} (how: "heldOut"). The model',
        'committed to the registry is the one trained on ALL the ratings, so the figures slightly understate',
        'it. Every kind predicts ratings (popularity: the movie\'s damped mean), so every kind gets them.',
        '`streamrec evaluate` records its results beside them, under "evaluations".',
      ].join('\n'),
    )
    .action(async (flags: TrainFlags) => runTrain(flags));
  return addDataDirOption(command);
}

/** `als: rmse 0.8234  mae 0.6123  mse 0.6780  r2 0.7456  (held-out 20 %, 2,400 ratings)`, or undefined without metrics. */
function metricsLine(o: TrainOutcome): string | undefined {
  const m = o.metadata.metrics as Record<string, unknown>;
  const keys = ['rmse', 'mae', 'mse', 'r2'] as const;
  if (!keys.some((k) => k in m)) return undefined;
  const fig = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '-');
  const held = o.metadata.heldOut;
  const how = held === undefined ? '' : `  (${held.split}, ${held.testRatings.toLocaleString('en-US')} held-out ratings${o.status === 'skipped' ? ', stored' : ''})`;
  return `${o.model}: ${keys.map((k) => `${k} ${fig(m[k])}`).join('  ')}${how}`;
}

async function runTrain(flags: TrainFlags): Promise<void> {
  const dataDir = resolveDataDir(flags.dataDir);
  const dataset = await openDataFromFlags(dataDir, flags);
  const count = dataset.ratings.columns.users.length;
  process.stderr.write(`streamrec: training ${flags.models.join(', ')} on ${dataset.name} (${count.toLocaleString('en-US')} ratings)\n`);
  const registry = new ModelRegistry(dataDir);
  const line = progress(process.stderr);
  const clock = phaseClock();
  const signal = interruptSignal();
  let outcomes: TrainOutcome[];
  try {
    outcomes = await trainIntoRegistry({
      dataset,
      models: flags.models,
      params: trainParams(flags),
      registry,
      force: flags.force,
      evaluate: flags.eval,
      hooks: { threads: flags.threads, signal, onProgress: (model, phase, done, total) => line.update(clock.line(`${model}: ${phase}`, done, total)) },
      onModel: (o) => {
        line.done('');
        process.stderr.write(`streamrec: ${o.model} ${o.status === 'skipped' ? `skipped: ${o.metadata.version} was trained on the same data and parameters (--force to train again)` : `trained in ${formatDuration(o.seconds * 1000)} → ${o.metadata.version}`}\n`);
      },
    });
  } catch (err) {
    line.done('');
    if (signal.aborted) throw new UserError('training interrupted: nothing was committed for the model in progress');
    if (err instanceof CorruptArtefactError) throw new UserError(`${err.message} — remove it with \`streamrec models rm\` or train with --force`);
    throw err;
  }
  const rows = outcomes.map((o) => [o.model, o.metadata.version, o.status, o.status === 'trained' ? formatDuration(o.seconds * 1000) : '-', registry.dir(o.model, o.metadata.version)]);
  process.stdout.write(`${formatTable(['model', 'version', 'status', 'time', 'where'], rows)}\n`);
  for (const o of outcomes) {
    const line = metricsLine(o);
    if (line !== undefined) process.stdout.write(`${line}\n`);
  }
  process.stdout.write(`peak memory: ${peakRssMb()} MB\n`);
}
