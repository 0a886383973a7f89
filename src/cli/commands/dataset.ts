import { basename, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { resolveDataDir } from '../../util/config.js';
import { listDatasets } from '../../recommend/data/dataset.js';
import { importMovieLens, type ImportProgress, type ImportResult } from '../../recommend/data/import.js';
import { importLake, LAKE_DATASET } from '../../recommend/data/lake-import.js';
import { checkSynthOptions, writeSynthDataset, type SynthOptions } from '../../recommend/data/synth.js';
import { progress } from '../../util/progress.js';
import { formatTable } from '../../util/table.js';
import { addDataDirOption, formatCount } from '../context.js';
import { nonNegativeInt, positiveInt } from '../options.js';
import { UserError } from '../../util/errors.js';

export function datasetCommand(): Command {
  const command = new Command('dataset').description('rating datasets for the recommenders: import MovieLens or the lake, synthesize one, list them');
  command.addCommand(importCommand());
  command.addCommand(synthCommand());
  command.addCommand(listCommand());
  return command;
}

/** "ETA 1:05" from the share done and the time spent, once there is enough to go on. */
export function formatEta(done: number, total: number, elapsedMs: number): string {
  if (!(done > 0) || !(total > done) || elapsedMs < 1000) return '';
  const seconds = Math.ceil(((total - done) * elapsedMs) / done / 1000);
  const m = Math.floor(seconds / 60);
  return `, ETA ${m}:${String(seconds % 60).padStart(2, '0')}`;
}

function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100;
}

/** A progress line for an import: the phase, the overall percent and ETA, ratings read. */
function importProgressLine(): { show: (p: ImportProgress) => void; line: ReturnType<typeof progress> } {
  const line = progress(process.stderr);
  const started = Date.now();
  const show = (p: ImportProgress) => {
    const what = p.phase === 'store' ? 'storing' : p.phase === 'movies' ? 'reading movies' : `reading ${p.phase}`;
    const eta = formatEta(p.overallBytesRead, p.overallTotalBytes, Date.now() - started);
    line.update(`streamrec: importing, ${what} ${percent(p.overallBytesRead, p.overallTotalBytes)}% (${formatCount(p.ratings)} ratings${eta})`);
  };
  return { show, line };
}

async function runImport(work: (onProgress: (p: ImportProgress) => void) => Promise<ImportResult>): Promise<ImportResult> {
  const { show, line } = importProgressLine();
  try {
    return await work(show);
  } finally {
    line.done('');
  }
}

function describeImport(result: ImportResult): string {
  const content = [
    result.genome ? `a genome of ${formatCount(result.genome.movies)} movies × ${result.genome.tags} tags` : '',
    result.tags ? `${formatCount(result.tags.applications)} user tags` : '',
  ].filter((s) => s !== '');
  const bad = result.badLines > 0 ? `, ${result.badLines} bad lines skipped (first: ${result.firstBad})` : '';
  return (
    `imported ${result.name}: ${formatCount(result.ratings)} ratings, ${formatCount(result.users)} users, ${formatCount(result.movies)} movies rated ` +
    `(${formatCount(result.catalogueMovies)} in the catalogue)${content.length > 0 ? `, ${content.join(', ')}` : ''}${bad} ` +
    `in ${(result.durationMs / 1000).toFixed(1)}s → ${result.dir}\n`
  );
}

function importCommand(): Command {
  const command = new Command('import')
    .description('import a MovieLens release directory (ml-latest, ml-25m, ml-20m, Kaggle ml-20m, ml-10m, ml-1m, ml-100k) or the ratings lake into <data-dir>/datasets/<name>')
    .argument('[dir]', 'the unpacked release: ratings.csv, rating.csv, ratings.dat or u.data, its movies file, and the tag genome and tags when present')
    .option('--name <name>', 'the dataset name (default: the directory name; "lake" with --from-lake)')
    .option('--from-lake', 'import the ratings lake of the data dir (<data-dir>/lake/ratings/raw) instead of a directory', false)
    .option('--skip-bad-lines', 'count malformed lines and go on instead of stopping at the first', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  streamrec dataset import ~/Downloads/ml-latest-small',
        '  streamrec dataset import ./ml-25m                      # with genome-scores.csv, genome-tags.csv and tags.csv',
        '  streamrec dataset import ./ml-1m --name ml1m',
        '  streamrec dataset import ./archive --name kaggle-20m --skip-bad-lines',
        '  streamrec dataset import --from-lake                   # the ratings `streamrec process` wrote, as dataset "lake"',
        '',
        'Writes ratings.bin (columnar), movies.csv, genome.bin and tags.bin (when the release has them) and',
        'dataset.json; importing again under the same name replaces them. A user who rated a movie twice in',
        'the lake keeps the latest rating.',
      ].join('\n'),
    )
    .action(async (dir: string | undefined, flags: { name?: string; fromLake?: boolean; skipBadLines?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(flags.dataDir);
      if (flags.fromLake && dir !== undefined) throw new UserError('pass either a directory or --from-lake, not both');
      if (!flags.fromLake && dir === undefined) throw new UserError('missing the MovieLens directory to import (or pass --from-lake)');
      const result = await runImport((onProgress) =>
        flags.fromLake
          ? importLake(dataDir, { name: flags.name ?? LAKE_DATASET, onProgress })
          : importMovieLens(dir as string, dataDir, { name: flags.name, skipBadLines: flags.skipBadLines === true, onProgress }),
      );
      process.stdout.write(describeImport(result));
    });
  return addDataDirOption(command);
}

function noise(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 10)) throw new InvalidArgumentError('expected a number from 0 to 10.');
  return n;
}

function synthCommand(): Command {
  const command = new Command('synth')
    .description('write a synthetic MovieLens-layout dataset (with a tag genome) from a known latent-factor model, and import it')
    .argument('<outDir>', 'where to write ratings.csv, movies.csv, tags.csv, genome-scores.csv, genome-tags.csv and synth.json')
    .option('--users <n>', 'users (each rates at least 5 movies)', positiveInt, 1000)
    .option('--movies <n>', 'movies', positiveInt, 500)
    .option('--ratings <n>', 'ratings in all', positiveInt, 50_000)
    .option('--rank <k>', 'latent factors of the model', positiveInt, 10)
    .option('--noise <sd>', 'standard deviation of the Gaussian noise added to each rating', noise, 0.5)
    .option('--seed <n>', 'random seed: the same seed and sizes give the same files', nonNegativeInt, 1)
    .option('--genome-tags <n>', 'tags in the tag genome', positiveInt, 64)
    .option('--name <name>', 'the imported dataset name (default: the directory name)')
    .option('--no-import', 'only write the files, do not import them into the data dir')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  streamrec dataset synth ./synth-small',
        '  streamrec dataset synth ./synth-20m --users 138493 --movies 26744 --ratings 20000263 --rank 20   # MovieLens-20M sized',
        '  streamrec dataset synth ./exact --noise 0 --seed 7 --no-import',
        '',
        'synth.json holds the truth: the options, the global mean and the noise floor (the RMSE of the',
        'generating model\'s own expected ratings against the ratings written).',
      ].join('\n'),
    )
    .action(async (outDir: string, flags: SynthOptions & { genomeTags: number; name?: string; import: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(flags.dataDir);
      const options: SynthOptions = {
        users: flags.users,
        movies: flags.movies,
        ratings: flags.ratings,
        rank: flags.rank,
        noise: flags.noise,
        seed: flags.seed,
        genomeTags: flags.genomeTags,
      };
      try {
        checkSynthOptions(options);
      } catch (err) {
        // "synth: genomeTags must …" → "--genome-tags must …"
        if (err instanceof RangeError) throw new UserError(err.message.replace(/^synth: (\w+)/, (_, name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
        throw err;
      }
      const out = resolve(outDir);
      const line = progress(process.stderr);
      const started = Date.now();
      line.update('streamrec: synthesizing');
      const truth = await writeSynthDataset(out, options, (done, total) => {
        line.update(`streamrec: writing ${percent(done, total)}%${formatEta(done, total, Date.now() - started)}`);
      });
      line.done('');
      process.stdout.write(
        `wrote ${out}: ${formatCount(options.ratings)} ratings, ${formatCount(options.users)} users, ${formatCount(options.movies)} movies, ` +
          `${options.genomeTags} genome tags; noise floor RMSE ${truth.noiseFloorRmse.toFixed(4)} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`,
      );
      if (!flags.import) return;
      const result = await runImport((onProgress) => importMovieLens(out, dataDir, { name: flags.name ?? basename(out), onProgress }));
      process.stdout.write(describeImport(result));
    });
  return addDataDirOption(command);
}

function listCommand(): Command {
  const command = new Command('list')
    .description('list the imported datasets of the data dir')
    .option('--json', 'print JSON instead of a table', false)
    .addHelpText('after', ['', 'Examples:', '  streamrec dataset list', '  streamrec dataset list --json --data-dir /srv/streamrec'].join('\n'))
    .action((flags: { json?: boolean; dataDir?: string }) => {
      const datasets = listDatasets(resolveDataDir(flags.dataDir));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(datasets, null, 2)}\n`);
        return;
      }
      if (datasets.length === 0) {
        process.stdout.write('no datasets yet: run `streamrec dataset import <dir>` or `streamrec dataset synth <dir>`\n');
        return;
      }
      const rows = datasets.map((d) => [d.name, d.ratings, d.users, d.movies, d.genome ? 'yes' : 'no', d.importedAt.replace('T', ' ').slice(0, 19)]);
      process.stdout.write(`${formatTable(['name', 'ratings', 'users', 'movies', 'genome', 'imported at (UTC)'], rows)}\n`);
    });
  return addDataDirOption(command);
}
