import { Command } from 'commander';
import { addDataDirOption } from '../context.js';
import { addRatingsGeneratorOptions, runRatingsGenerator, type RatingsFlags } from './generate.js';

/**
 * `streamrec up`: the main job on embedded defaults — what `npm start` runs. Today it runs the
 * ratings generator into the log; the processor, API and dashboard join it as they land.
 */
export function upCommand(): Command {
  const command = addRatingsGeneratorOptions(new Command('up'), '200')
    .description('run the main job: the ratings generator into the embedded log (until Ctrl-C)')
    .addHelpText('after', '\nExamples:\n  streamrec up\n  streamrec up --rate 500 --data-dir /srv/streamrec\n  streamrec up --movies ml-latest-small/movies.csv')
    .action(async (flags: RatingsFlags) => {
      await runRatingsGenerator(flags);
    });
  return addDataDirOption(command);
}
