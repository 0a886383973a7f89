import { Command } from 'commander';
import type { PacedFlags, PipelineGenerator } from '../../pipelines/pipeline-declaration.js';
import { pipelineDeclarations } from '../../pipelines/registry.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal, openDataDirLog } from '../context.js';
import { duration, fraction, isoTime, positiveInt, rate } from '../options.js';
import { UserError } from '../../util/errors.js';

/** The flags every generator takes (commander's camelCase names); its own ones ride along. */
export interface GeneratorFlags extends Record<string, unknown> {
  dataDir?: string;
  rate: number;
  count?: number;
  duration?: number;
  seed?: number;
  from?: number;
  span?: number;
}

export const optionParsers = { positiveInt, fraction, duration };

/** The options of every paced generator: rate, count, duration, seed. */
export function addPacedOptions(command: Command, defaultRate: string, noun: string): Command {
  return command
    .option('--rate <n>', `${noun} per second, or "max" for as fast as the log takes`, rate, rate(defaultRate))
    .option('--count <n>', `stop after this many ${noun}`, positiveInt)
    .option('--duration <d>', 'stop after this long (e.g. 30s, 10m, 2h)', duration)
    .option('--seed <n>', `random seed: the same seed gives the same ${noun}`, positiveInt);
}

/** `streamrec generate <pipeline>`: one subcommand a registered generator. */
export function generateCommand(): Command {
  const generate = new Command('generate').description('produce synthetic events into the log');
  for (const declaration of pipelineDeclarations()) {
    const generator = declaration.generator;
    if (!generator) continue;
    const command = generator
      .options(addPacedOptions(new Command(declaration.name), '100', generator.noun), optionParsers)
      .description(generator.description)
      .option('--from <time>', 'backfill: first event time (ISO-8601), events spread over --span and sent flat out', isoTime)
      .option('--span <d>', 'backfill: length of the period to fill (default 1d)', duration)
      .action(async (flags: GeneratorFlags) => {
        await runGenerator(declaration.name, generator, flags);
      });
    if (generator.examples) command.addHelpText('after', `\nExamples:\n${generator.examples.map((e) => `  ${e}`).join('\n')}`);
    generate.addCommand(addDataDirOption(command));
  }
  return generate;
}

/** The generic paced-run settings from the flags (a fresh seed when none is given). */
export function pacedFlags(flags: GeneratorFlags): PacedFlags {
  if (flags.span !== undefined && flags.from === undefined) throw new UserError('--span goes with --from (the start of the backfill)');
  const backfill = flags.from !== undefined ? { fromMs: flags.from, spanMs: flags.span ?? 86_400_000 } : undefined;
  return {
    rate: backfill ? Infinity : flags.rate,
    count: flags.count,
    durationMs: flags.duration,
    seed: flags.seed ?? (Date.now() % 1_000_000) + 1,
    backfill,
  };
}

export async function runGenerator(name: string, generator: PipelineGenerator, flags: GeneratorFlags, signal?: AbortSignal): Promise<void> {
  const paced = pacedFlags(flags);
  const { noun } = generator;
  const { dataDir, log } = openDataDirLog(flags);
  try {
    await generator.prepare?.(flags, { dataDir });
    const { backfill } = paced;
    const what = backfill
      ? `backfilling ${new Date(backfill.fromMs).toISOString()} + ${formatDuration(backfill.spanMs)}`
      : `${Number.isFinite(paced.rate) ? `${paced.rate} ${noun}/s` : 'as fast as the log takes'}`;
    const line = progress();
    const stats = await generator.run(flags, paced, {
      log,
      dataDir,
      signal: signal ?? interruptSignal(),
      onStart: (sizes) =>
        process.stderr.write(`streamrec: generating ${name} into ${log.description} (${what}; ${sizes}${sizes ? ', ' : ''}seed ${paced.seed}). Ctrl-C stops.\n`),
      onProgress: (s) =>
        line.update(
          `${noun}: ${formatCount(s.sent)} sent · ${formatCount(s.rate)}/s · ${formatDuration(s.elapsedMs)}` +
            (backfill ? ` · event time ${new Date(s.lastEmitTime).toISOString()}` : ''),
        ),
    });
    line.done(`${noun}: ${formatCount(stats.sent)} sent in ${formatDuration(stats.elapsedMs)} (${formatCount(stats.rate)}/s)`);
  } finally {
    await log.close();
  }
}
