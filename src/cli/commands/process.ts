import { Command, Option } from 'commander';
import { runPipeline, type RunnerStatus } from '../../engine/pipeline-runner.js';
import { pipelineNames, openPipeline } from '../../pipelines/registry.js';
import { duration } from '../options.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal, openDataDirLog } from '../context.js';

interface ProcessFlags {
  dataDir?: string;
  from?: 'earliest' | 'latest';
  exitWhenIdle?: boolean;
  lake: boolean;
  idleTimeout?: number;
  outOfOrderness?: number;
  /** The flag's first name, still accepted. */
  lateness?: number;
}

export function processCommand(): Command {
  const command = new Command('process')
    .description('run a streaming pipeline: event-time windows, checkpoints, the metrics topic and the Parquet lake')
    .argument('[pipeline]', `the pipeline to run (${pipelineNames().join(', ')})`, pipelineNames()[0])
    .addOption(new Option('--from <position>', 'ignore the checkpoint and start at this end of the source topic').choices(['earliest', 'latest']))
    .option('--exit-when-idle', 'process what the log holds, close the windows after the idle timeout, write the results and exit')
    .option('--no-lake', 'do not write the Parquet lake')
    .option('--idle-timeout <d>', 'close open windows when input has been silent this long (default 10s)', duration)
    .option('--out-of-orderness <d>', 'bounded out-of-orderness: how far behind the newest event time an event may be and still count (default: the pipeline\'s)', duration)
    .addOption(new Option('--lateness <d>', 'the old name of --out-of-orderness').argParser(duration).hideHelp())
    .addHelpText(
      'after',
      `
A new pipeline starts at the earliest offset; a restart resumes from its checkpoint.

Examples:
  streamrec process                         ratings, until Ctrl-C
  streamrec process ratings --exit-when-idle
  streamrec process --from latest           skip the backlog on purpose`,
    )
    .action(async (name: string, flags: ProcessFlags) => {
      const { dataDir, log } = openDataDirLog(flags.dataDir);
      try {
        const pipeline = await openPipeline(name, { dataDir, log, idleTimeoutMs: flags.idleTimeout, outOfOrdernessMs: flags.outOfOrderness ?? flags.lateness });
        const signal = interruptSignal();
        const line = progress();
        const started = Date.now();
        if (flags.from) process.stderr.write(`streamrec: --from ${flags.from}: ignoring the checkpoint of ${name}\n`);
        const lake = flags.lake ? pipeline.startLake(signal) : null;
        const status = await runPipeline(pipeline.spec, {
          log,
          from: flags.from,
          fromExplicit: flags.from !== undefined,
          exitWhenIdle: flags.exitWhenIdle,
          signal,
          onStatus: (s) => line.update(statusLine(s)),
          onStart: (start) =>
            process.stderr.write(
              `streamrec: processing ${name} from ${log.description}, ` +
                (start.from === 'checkpoint' ? `resuming from its checkpoint (${formatCount(start.events)} events done)` : `starting at the ${start.from} offset`) +
                '. Ctrl-C stops after a final checkpoint.\n',
            ),
        });
        line.done(statusLine(status));
        if (lake) await lake.finish();
        process.stderr.write(`streamrec: ${name}: ${formatCount(status.processed)} events, ${formatCount(status.finals)} final window results, ${formatCount(status.late)} late, ${formatCount(status.deadLettered)} dead-lettered in ${formatDuration(Date.now() - started)}\n`);
      } finally {
        await log.close();
      }
    });
  return addDataDirOption(command);
}

function statusLine(s: RunnerStatus): string {
  const delay = s.watermarkDelayMs === null ? '-' : formatDuration(s.watermarkDelayMs);
  return `${s.pipeline}: ${formatCount(s.processed)} events · ${formatCount(s.rate)}/s · lag ${formatCount(s.lag)} · watermark delay ${delay} · late ${formatCount(s.late)} · dlq ${formatCount(s.deadLettered)} · finals ${formatCount(s.finals)}`;
}
