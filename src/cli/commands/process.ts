import { Command, Option } from 'commander';
import type { RunnerStatus } from '../../engine/pipeline-runner.js';
import { pipelineNames, openPipeline } from '../../pipelines/registry.js';
import { runGroupMember } from '../../pipelines/run-group-member.js';
import { runOwnedPipeline } from '../../pipelines/run-owned-pipeline.js';
import { loadConfig } from '../../util/config.js';
import { UserError } from '../../util/errors.js';
import { duration } from '../options.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal, openDataDirLog } from '../context.js';

interface ProcessFlags {
  dataDir?: string;
  from?: 'earliest' | 'latest';
  exitWhenIdle?: boolean;
  lake: boolean;
  standby: boolean;
  group?: boolean;
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
    .option('--group', "run as one member of the pipeline's group: the partitions are shared among the members, the final results merged (see README, Running on Kafka or NATS)")
    .option('--no-standby', 'refuse to start while another processor owns the pipeline, instead of waiting as its hot standby')
    .option('--idle-timeout <d>', 'close open windows when input has been silent this long (default 10s)', duration)
    .option('--out-of-orderness <d>', 'bounded out-of-orderness: how far behind the newest event time an event may be and still count (default: the pipeline\'s)', duration)
    .addOption(new Option('--lateness <d>', 'the old name of --out-of-orderness').argParser(duration).hideHelp())
    .addHelpText(
      'after',
      `
A new pipeline starts at the earliest offset; a restart resumes from its checkpoint.
One processor owns a pipeline at a time: a second one (here or in \`streamrec up\`) waits as a hot
standby and takes over from the owner's last checkpoint within STREAMREC_LEASE_TTL (5 s) of the
owner stopping; with --no-standby it refuses, naming the owner.

Examples:
  streamrec process                         ratings, until Ctrl-C
  streamrec process ratings --exit-when-idle
  streamrec process --from latest           skip the backlog on purpose
  streamrec process ratings --group --log nats://10.0.0.5:4222
                                            one member of a group (start one a machine or core)`,
    )
    .action(async (name: string, flags: ProcessFlags) => {
      const { leaseTtlMs } = loadConfig();
      const { dataDir, log } = openDataDirLog(flags);
      try {
        const pipeline = await openPipeline(name, { dataDir, log, idleTimeoutMs: flags.idleTimeout, outOfOrdernessMs: flags.outOfOrderness ?? flags.lateness });
        const signal = interruptSignal();
        const line = progress();
        const started = Date.now();
        const say = (message: string) => process.stderr.write(`streamrec: ${message}\n`);
        if (flags.group) {
          if (flags.from) throw new UserError('--from cannot be used with --group: a group resumes from its tasks\' checkpoints (`streamrec reset` starts it over)');
          const status = await runGroupMember({
            pipeline,
            log,
            lake: flags.lake,
            ttlMs: leaseTtlMs,
            exitWhenIdle: flags.exitWhenIdle,
            signal,
            notify: say,
            onStatus: (s) => line.update(`${statusLine(s)} · partitions ${s.held.join(',') || '-'}${s.merging.length ? ` · merging ${s.merging.length} shard${s.merging.length === 1 ? '' : 's'}` : ''}`),
          }).catch((err: unknown) => {
            line.done();
            throw err;
          });
          line.done(statusLine(status));
          say(`${name} (member ${status.member}): ${formatCount(status.processed)} events, ${formatCount(status.finals)} final window results written, ${formatCount(status.fenced)} commits refused in ${formatDuration(Date.now() - started)}`);
          return;
        }
        if (flags.from) say(`--from ${flags.from}: ignoring the checkpoint of ${name}`);
        const status = await runOwnedPipeline({
          name,
          pipeline,
          log,
          lake: flags.lake,
          standby: flags.standby,
          ttlMs: leaseTtlMs,
          refuseHint: 'stop it first, or leave out --no-standby to wait as its standby',
          notify: say,
          from: flags.from,
          fromExplicit: flags.from !== undefined,
          exitWhenIdle: flags.exitWhenIdle,
          signal,
          onStatus: (s) => line.update(statusLine(s)),
          onStart: (start) =>
            say(
              `processing ${name} from ${log.description}, ` +
                (start.from === 'checkpoint' ? `resuming from its checkpoint (${formatCount(start.events)} events done)` : `starting at the ${start.from} offset`) +
                '. Ctrl-C stops after a final checkpoint.',
            ),
        }).catch((err: unknown) => {
          // The status line ends before the one-line error (ownership lost, …) is printed.
          line.done();
          throw err;
        });
        if (!status) {
          say(`stopped while waiting as a standby for ${name}`);
          return;
        }
        line.done(statusLine(status));
        say(`${name}: ${formatCount(status.processed)} events, ${formatCount(status.finals)} final window results, ${formatCount(status.late)} late, ${formatCount(status.deadLettered)} dead-lettered in ${formatDuration(Date.now() - started)}`);
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
