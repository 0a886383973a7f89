import type { Command } from 'commander';
import { resolveDataDir, resolveLog } from '../util/config.js';
import { openLog } from '../log/open-log.js';
import type { EventLog } from '../log/types.js';

/** The flags every verb has: where the data is, and which event log to run on. */
export interface LogFlags {
  dataDir?: string;
  log?: string;
}

export function addDataDirOption(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'where streamrec keeps its data (env STREAMREC_DATA_DIR)', undefined)
    .option('--log <url>', 'the event log: embedded (default, in the data dir), kafka://host:port[,host:port…][/prefix] or nats://host:port[/prefix] (env STREAMREC_LOG)', undefined);
}

/** The data dir and the log the flags (else the environment) name; `logUrl` is for worker threads. */
export function openDataDirLog(flags: LogFlags): { dataDir: string; log: EventLog; logUrl: string } {
  const dataDir = resolveDataDir(flags.dataDir);
  const logUrl = resolveLog(flags.log);
  return { dataDir, logUrl, log: openLog({ dataDir, log: logUrl }) };
}

/**
 * An AbortSignal for Ctrl-C and SIGTERM: the first asks long work to finish its current step and
 * stop cleanly; a second one exits at once.
 */
export function interruptSignal(onFirst?: () => void): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\nstreamrec: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    onFirst?.();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return controller.signal;
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
