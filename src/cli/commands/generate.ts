import { Command } from 'commander';
import { ensureCatalogue } from '../../movies/catalogue-store.js';
import { generateRatings } from '../../pipelines/ratings/ratings-generator.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal, openDataDirLog } from '../context.js';
import { duration, fraction, isoTime, positiveInt, rate } from '../options.js';
import { UserError } from '../../util/errors.js';

export interface RatingsFlags {
  dataDir?: string;
  rate: number;
  count?: number;
  duration?: number;
  users: number;
  movies?: string;
  seed?: number;
  lateFraction: number;
  minDelay: number;
  maxDelay: number;
  from?: number;
  span?: number;
}

/** `--movies` takes either a catalogue size or a MovieLens movies file. */
export function catalogueChoice(dataDir: string, movies: string | undefined) {
  if (movies === undefined) return { dataDir };
  if (/^\d+$/.test(movies)) {
    const count = Number(movies);
    if (count < 1) throw new UserError('--movies must be at least 1');
    return { dataDir, syntheticCount: count, replaceSynthetic: true };
  }
  return { dataDir, moviesFile: movies };
}

export function addRatingsGeneratorOptions(command: Command, defaultRate: string): Command {
  return command
    .option('--rate <n>', 'ratings per second, or "max" for as fast as the log takes', rate, rate(defaultRate))
    .option('--count <n>', 'stop after this many ratings', positiveInt)
    .option('--duration <d>', 'stop after this long (e.g. 30s, 10m, 2h)', duration)
    .option('--users <n>', 'number of users', positiveInt, 5000)
    .option('--movies <n|file>', 'catalogue size, or a MovieLens movies file (movies.csv, movie.csv, movies.dat, u.item)')
    .option('--seed <n>', 'random seed: the same seed gives the same ratings', positiveInt)
    .option('--late-fraction <f>', 'share of events stamped earlier than they are sent (0..1)', fraction, 0)
    .option('--min-delay <d>', 'smallest delay of a late event', duration, 0)
    .option('--max-delay <d>', 'largest delay of a late event', duration, 15 * 60_000);
}

export function generateCommand(): Command {
  const generate = new Command('generate').description('produce synthetic events into the log');
  const ratings = addRatingsGeneratorOptions(new Command('ratings'), '100')
    .description('movie ratings from a latent-factor model (users, movies, biases, genre taste, popularity skew)')
    .option('--from <time>', 'backfill: first event time (ISO-8601), events spread over --span and sent flat out', isoTime)
    .option('--span <d>', 'backfill: length of the period to fill (default 1d)', duration)
    .addHelpText(
      'after',
      `
Examples:
  streamrec generate ratings                        100 ratings/s until Ctrl-C
  streamrec generate ratings --rate 500 --duration 10m
  streamrec generate ratings --rate max --count 1000000 --seed 7
  streamrec generate ratings --late-fraction 0.02 --min-delay 11m --max-delay 20m
  streamrec generate ratings --from 2025-11-01T00:00:00Z --span 7d --count 2000000
  streamrec generate ratings --movies ml-latest-small/movies.csv`,
    )
    .action(async (flags: RatingsFlags) => {
      await runRatingsGenerator(flags);
    });
  addDataDirOption(ratings);
  generate.addCommand(ratings);
  return generate;
}

export async function runRatingsGenerator(flags: RatingsFlags, signal?: AbortSignal): Promise<void> {
  if (flags.span !== undefined && flags.from === undefined) throw new UserError('--span goes with --from (the start of the backfill)');
  if (flags.minDelay > flags.maxDelay) throw new UserError('--min-delay is larger than --max-delay');
  const { dataDir, log } = openDataDirLog(flags.dataDir);
  try {
    const catalogue = await ensureCatalogue(catalogueChoice(dataDir, flags.movies));
    const seed = flags.seed ?? (Date.now() % 1_000_000) + 1;
    const backfill = flags.from !== undefined ? { fromMs: flags.from, spanMs: flags.span ?? 86_400_000 } : undefined;
    const what = backfill
      ? `backfilling ${new Date(backfill.fromMs).toISOString()} + ${formatDuration(backfill.spanMs)}`
      : `${Number.isFinite(flags.rate) ? `${flags.rate} ratings/s` : 'as fast as the log takes'}`;
    process.stderr.write(
      `streamrec: generating ratings into ${log.description} (${what}; ${formatCount(flags.users)} users, ` +
        `${formatCount(catalogue.size)} movies, seed ${seed}). Ctrl-C stops.\n`,
    );
    const line = progress();
    const stats = await generateRatings({
      log,
      catalogue,
      users: flags.users,
      seed,
      rate: backfill ? Infinity : flags.rate,
      count: flags.count,
      durationMs: flags.duration,
      lateFraction: flags.lateFraction,
      minDelayMs: flags.minDelay,
      maxDelayMs: flags.maxDelay,
      backfill,
      signal: signal ?? interruptSignal(),
      onProgress: (s) =>
        line.update(
          `ratings: ${formatCount(s.sent)} sent · ${formatCount(s.rate)}/s · ${formatDuration(s.elapsedMs)}` +
            (backfill ? ` · event time ${new Date(s.lastEmitTime).toISOString()}` : ''),
        ),
    });
    line.done(`ratings: ${formatCount(stats.sent)} sent in ${formatDuration(stats.elapsedMs)} (${formatCount(stats.rate)}/s)`);
  } finally {
    await log.close();
  }
}
