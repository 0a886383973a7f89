import type { Command } from 'commander';
import { resolveDataDir } from '../util/config.js';
import { openLog } from '../log/open-log.js';
import type { EventLog } from '../log/types.js';

export function addDataDirOption(command: Command): Command {
  return command.option('--data-dir <dir>', 'where streamrec keeps its data (env STREAMREC_DATA_DIR)', undefined);
}

export function openDataDirLog(dataDirFlag: string | undefined): { dataDir: string; log: EventLog } {
  const dataDir = resolveDataDir(dataDirFlag);
  return { dataDir, log: openLog({ dataDir }) };
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
