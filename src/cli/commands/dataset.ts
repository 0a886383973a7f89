import { Command } from 'commander';
import { resolveDataDir } from '../../config.js';
import { DatasetSourceError, importMovieLens, type ImportProgress } from '../../recommend/data/import.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption } from '../context.js';
import { UserError } from '../user-error.js';

export function datasetCommand(): Command {
  const command = new Command('dataset').description('import rating datasets (MovieLens) for the recommenders');
  command.addCommand(importCommand());
  return command;
}

function importCommand(): Command {
  const command = new Command('import')
    .description('import a MovieLens release directory (ml-latest, ml-25m, ml-20m, Kaggle ml-20m, ml-10m, ml-1m, ml-100k) into <data-dir>/datasets/<name>')
    .argument('<dir>', 'the unpacked release: ratings.csv, rating.csv, ratings.dat or u.data, and its movies file')
    .option('--name <name>', 'the dataset name (default: the directory name)')
    .option('--skip-bad-lines', 'count malformed lines and go on instead of stopping at the first', false)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  streamrec dataset import ~/Downloads/ml-latest-small',
        '  streamrec dataset import ./ml-1m --name ml1m',
        '  streamrec dataset import ./archive --name kaggle-20m --skip-bad-lines',
        '',
        'Writes ratings.bin (columnar), movies.csv and dataset.json; importing again under the same name replaces them.',
      ].join('\n'),
    )
    .action(async (dir: string, flags: { name?: string; skipBadLines?: boolean; dataDir?: string }) => {
      const dataDir = resolveDataDir(flags.dataDir);
      const line = progress(process.stderr);
      const show = (p: ImportProgress) => {
        if (p.phase === 'ratings') {
          const pct = p.totalBytes > 0 ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 100;
          line.update(`streamrec: importing ratings ${pct}% (${p.ratings.toLocaleString('en-US')} ratings)`);
        } else {
          line.update(`streamrec: ${p.phase === 'movies' ? 'reading movies' : 'storing'} (${p.ratings.toLocaleString('en-US')} ratings)`);
        }
      };
      let result;
      try {
        result = await importMovieLens(dir, dataDir, { name: flags.name, skipBadLines: flags.skipBadLines === true, onProgress: show });
      } catch (err) {
        line.done('');
        if (err instanceof DatasetSourceError) throw new UserError(err.message);
        throw err;
      }
      line.done();
      const bad = result.badLines > 0 ? `, ${result.badLines} bad lines skipped (first: ${result.firstBad})` : '';
      process.stdout.write(
        `imported ${result.name}: ${result.ratings} ratings, ${result.users} users, ${result.movies} movies rated ` +
          `(${result.catalogueMovies} in the catalogue)${bad} in ${(result.durationMs / 1000).toFixed(1)}s → ${result.dir}\n`,
      );
    });
  return addDataDirOption(command);
}
