import { Command } from 'commander';
import { resolveDataDir } from '../../util/config.js';
import { MODEL_NAMES, type ModelName } from '../../recommend/models/model-kinds.js';
import { checkModel, headlineMetrics, ModelRegistry, type RegistryEntry } from '../../recommend/registry/registry.js';
import { importSparkAls } from '../../recommend/registry/spark-import.js';
import { formatTable } from '../../util/table.js';
import { addDataDirOption } from '../context.js';
import { UserError } from '../../util/errors.js';

export function modelsCommand(): Command {
  const command = new Command('models').description('the model registry: list, show and remove trained versions, import Spark ALS models');
  command.addCommand(listCommand());
  command.addCommand(showCommand());
  command.addCommand(rmCommand());
  command.addCommand(importSparkCommand());
  command.addHelpText('after', `\nModels live in <data-dir>/models/<model>/<version>/, with a "latest" pointer per model (${MODEL_NAMES.join(', ')}).`);
  return command;
}

function listCommand(): Command {
  const command = new Command('list')
    .description('every version of every model (or of one), newest first; * marks the latest')
    .argument('[model]', `one model: ${MODEL_NAMES.join(', ')}`)
    .option('--json', 'print the entries (with their metadata) as JSON')
    .addHelpText('after', ['', 'Examples:', '  streamrec models list', '  streamrec models list als --json'].join('\n'))
    .action((model: string | undefined, flags: { json?: boolean; dataDir?: string }) => {
      const registry = new ModelRegistry(resolveDataDir(flags.dataDir));
      const entries = registry.list(model === undefined ? undefined : checkModel(model));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      if (entries.length === 0) {
        process.stdout.write(`no models in ${registry.root}\n`);
        return;
      }
      process.stdout.write(`${formatTable(['model', 'version', 'latest', 'created', 'dataset', 'RMSE', 'NDCG', 'size', 'source'], entries.map(listRow))}\n`);
    });
  return addDataDirOption(command);
}

function listRow(e: RegistryEntry): (string | number | null)[] {
  const m = e.metadata;
  if (m === undefined) return [e.model, e.version, e.latest ? '*' : '', null, `broken: ${e.error ?? 'unreadable'}`, null, null, null, null];
  const { rmse, ndcg } = headlineMetrics(m);
  const bytes = m.artefacts.reduce((s, a) => s + a.bytes, 0);
  return [
    e.model,
    e.version,
    e.latest ? '*' : '',
    m.createdAt.replace(/\.\d+Z$/, 'Z'),
    m.dataset.name,
    rmse === undefined ? null : rmse.toFixed(4),
    ndcg === undefined ? null : ndcg.toFixed(4),
    formatBytes(bytes),
    m.source ?? 'streamrec',
  ];
}

function showCommand(): Command {
  const command = new Command('show')
    .description("a version's metadata.json (parameters, data fingerprint, metrics, artefacts); the latest by default")
    .argument('<model>', `the model: ${MODEL_NAMES.join(', ')}`)
    .argument('[version]', 'a version id, or "latest" (default)')
    .option('--json', 'print compact JSON (one line) instead of indented')
    .option('--verify', 're-hash the artefacts and fail if one is missing or altered')
    .addHelpText('after', ['', 'Examples:', '  streamrec models show als', '  streamrec models show itemcf v20261201T203015123Z-3fa2 --verify'].join('\n'))
    .action((modelArg: string, versionArg: string | undefined, flags: { json?: boolean; verify?: boolean; dataDir?: string }) => {
      const registry = new ModelRegistry(resolveDataDir(flags.dataDir));
      const model = checkModel(modelArg);
      const version = resolveVersion(registry, model, versionArg);
      const meta = flags.verify ? registry.verify(model, version) : registry.metadata(model, version);
      process.stdout.write(`${flags.json ? JSON.stringify(meta) : JSON.stringify(meta, null, 2)}\n`);
      if (flags.verify) process.stderr.write(`${model} ${version}: ${meta.artefacts.length} artefact(s) verified\n`);
    });
  return addDataDirOption(command);
}

function rmCommand(): Command {
  const command = new Command('rm')
    .description('remove a version; the latest, or a component of the latest hybrid, only with --force (latest then moves to the next newest)')
    .argument('<model>', `the model: ${MODEL_NAMES.join(', ')}`)
    .argument('<version>', 'the version id (see models list)')
    .option('--force', 'also remove the latest version, or a version the latest hybrid blends', false)
    .addHelpText('after', ['', 'Examples:', '  streamrec models rm als v20261201T203015123Z-3fa2', '  streamrec models rm als v20261201T203015123Z-3fa2 --force'].join('\n'))
    .action((modelArg: string, version: string, flags: { force?: boolean; dataDir?: string }) => {
      const registry = new ModelRegistry(resolveDataDir(flags.dataDir));
      const model = checkModel(modelArg);
      registry.remove(model, version, { force: flags.force === true });
      const latest = registry.latestVersion(model);
      process.stdout.write(`removed ${model} ${version}; latest is ${latest ?? 'none'}\n`);
    });
  return addDataDirOption(command);
}

function importSparkCommand(): Command {
  const command = new Command('import-spark')
    .description('import a Spark MLlib ALS model directory (metadata/, userFactors/, itemFactors/ Parquet) as a new latest version of als')
    .argument('<dir>', 'the directory ALSModel.save wrote (or one holding it as spark_model/)')
    .option('--name <dataset>', 'the imported dataset it was trained on (default: the latest imported dataset; it must exist)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  streamrec dataset import ~/Downloads/ml-latest-small      # first: the data the Spark model was trained on',
        '  streamrec models import-spark ./trained_models/als/model_latest',
        '  streamrec models import-spark /mnt/spark/als_model_v1 --name ml-25m',
        '',
        "Predictions are Spark's: the dot product of the user's and the movie's factors, clamped to 0.5-5.",
        'The server serves the model with its dataset (titles, genres, users\' ratings), so import that',
        'dataset first. When a hybrid is trained on the same dataset it stays the default model (it',
        'blends the ALS version it was trained with): ask for model=als to be served the imported one,',
        'or remove the hybrid versions (streamrec models rm hybrid <version> --force) to make it the default.',
      ].join('\n'),
    )
    .action(async (dir: string, flags: { name?: string; dataDir?: string }) => {
      const registry = new ModelRegistry(resolveDataDir(flags.dataDir));
      const meta = await importSparkAls(dir, registry, { datasetName: flags.name });
      process.stdout.write(
        `imported Spark ALS (rank ${String(meta.params.rank)}, ${meta.dataset.users.toLocaleString('en-US')} users, ` +
          `${meta.dataset.movies.toLocaleString('en-US')} movies, dataset "${meta.dataset.name}") as als ${meta.version} (latest) → ${registry.dir('als', meta.version)}\n`,
      );
      const hybrid = registry.list('hybrid').find((e) => e.latest)?.metadata;
      if (hybrid !== undefined && hybrid.dataset.name === meta.dataset.name) {
        process.stdout.write(
          `note: hybrid ${hybrid.version} (same dataset) stays the default model; /recommendations/recommend/<user>?model=als serves the imported one ` +
            `(or remove the hybrid versions, streamrec models rm hybrid <version> --force, to make it the default)\n`,
        );
      } else if (hybrid !== undefined) {
        process.stdout.write(
          `note: hybrid ${hybrid.version} stays the default model and was trained on dataset "${hybrid.dataset.name}": the server serves that dataset ` +
            `and skips this model until the hybrid versions are removed (streamrec models rm hybrid <version> --force)\n`,
        );
      }
    });
  return addDataDirOption(command);
}

/** A version argument: an id, "latest" or nothing (the latest). */
function resolveVersion(registry: ModelRegistry, model: ModelName, version: string | undefined): string {
  if (version !== undefined && version !== 'latest') return version;
  const latest = registry.latestVersion(model);
  if (latest === undefined) throw new UserError(`model ${model} has no latest version in ${registry.root}`);
  return latest;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
