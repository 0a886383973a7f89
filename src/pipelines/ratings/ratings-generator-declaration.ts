import type { Command } from 'commander';
import { ensureCatalogue, type CatalogueChoice } from '../../movies/catalogue-store.js';
import { UserError } from '../../util/errors.js';
import type { PipelineGenerator } from '../pipeline-declaration.js';
import { generateRatings } from './ratings-generator.js';

/** The ratings generator's own flags (commander's camelCase names). */
interface RatingsGeneratorFlags {
  users: number;
  movies?: string;
  lateFraction: number;
  minDelay: number;
  maxDelay: number;
}

/** `--movies` takes either a catalogue size or a MovieLens movies file. */
export function catalogueChoice(dataDir: string, movies: string | undefined): CatalogueChoice {
  if (movies === undefined) return { dataDir };
  if (/^\d+$/.test(movies)) {
    const count = Number(movies);
    if (count < 1) throw new UserError('--movies must be at least 1');
    return { dataDir, syntheticCount: count, replaceSynthetic: true };
  }
  return { dataDir, moviesFile: movies };
}

/** `streamrec generate ratings` (and the generator `up` runs). */
export const ratingsGenerator: PipelineGenerator = {
  description: 'movie ratings from a latent-factor model (users, movies, biases, genre taste, popularity skew)',
  noun: 'ratings',
  examples: [
    'streamrec generate ratings                        100 ratings/s until Ctrl-C',
    'streamrec generate ratings --rate 500 --duration 10m',
    'streamrec generate ratings --rate max --count 1000000 --seed 7',
    'streamrec generate ratings --late-fraction 0.02 --min-delay 11m --max-delay 20m',
    'streamrec generate ratings --from 2025-11-01T00:00:00Z --span 7d --count 2000000',
    'streamrec generate ratings --movies ml-latest-small/movies.csv',
  ],
  options: (command: Command, parse) =>
    command
      .option('--users <n>', 'number of users', parse.positiveInt, 5000)
      .option('--movies <n|file>', 'catalogue size, or a MovieLens movies file (movies.csv, movie.csv, movies.dat, u.item)')
      .option('--late-fraction <f>', 'share of events stamped earlier than they are sent (0..1)', parse.fraction, 0)
      .option('--min-delay <d>', 'smallest delay of a late event', parse.duration, 0)
      .option('--max-delay <d>', 'largest delay of a late event', parse.duration, 15 * 60_000),
  async prepare(raw, ctx) {
    const flags = raw as unknown as RatingsGeneratorFlags;
    if (flags.minDelay > flags.maxDelay) throw new UserError('--min-delay is larger than --max-delay');
    await ensureCatalogue(catalogueChoice(ctx.dataDir, flags.movies));
  },
  async run(raw, paced, ctx) {
    const flags = raw as unknown as RatingsGeneratorFlags;
    // prepare() stored the catalogue the flags chose in the data dir: read that one.
    const catalogue = await ensureCatalogue({ dataDir: ctx.dataDir });
    ctx.onStart?.(`${Math.round(flags.users).toLocaleString('en-US')} users, ${catalogue.size.toLocaleString('en-US')} movies`);
    return generateRatings({
      log: ctx.log,
      catalogue,
      users: flags.users,
      seed: paced.seed,
      rate: paced.rate,
      count: paced.count,
      durationMs: paced.durationMs,
      lateFraction: flags.lateFraction,
      minDelayMs: flags.minDelay,
      maxDelayMs: flags.maxDelay,
      backfill: paced.backfill,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      onDiskProblem: ctx.onDiskProblem,
    });
  },
};
