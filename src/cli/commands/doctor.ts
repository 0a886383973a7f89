import { Command } from 'commander';
import { configuredPort, loadConfig, resolveDataDir, resolveLog } from '../../util/config.js';
import { addDataDirOption } from '../context.js';
import { doctorReport, exitCode, formatReport } from '../doctor/format-report.js';
import { runDoctor } from '../doctor/run-doctor.js';
import { port } from '../options.js';

export function doctorCommand(): Command {
  const command = new Command('doctor')
    .description('check a data dir and what it depends on: space and permissions, the log, each pipeline (owner, checkpoint, watermark, lag), the lake against committed offsets, model checksums, PostgreSQL and Redis when configured, the API port')
    .option('--json', 'print the report as JSON: {ok, checks: [{name, status, message, fix?}]}')
    .option('--port <n>', 'the API port to check (env STREAMREC_PORT; default 8000)', port)
    .addHelpText(
      'after',
      `
One line a check: ok, warn, PROBLEM (with its fix) or skipped. Exit 1 when any check is a problem,
0 otherwise (warnings included). It changes nothing (but for a small file it writes and removes
to test the disk) and reads the log beside a running server without disturbing it.

Examples:
  streamrec doctor
  streamrec doctor --data-dir /srv/streamrec --json | jq '.checks[] | select(.status != "ok")'`,
    )
    .action(async (flags: { dataDir?: string; log?: string; json?: boolean; port?: number }) => {
      const dataDir = resolveDataDir(flags.dataDir);
      const config = { ...loadConfig(), log: resolveLog(flags.log) };
      const report = doctorReport(await runDoctor({ dataDir, config, port: configuredPort(flags.port) }));
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, `streamrec doctor: ${dataDir}`));
      process.exitCode = exitCode(report);
    });
  return addDataDirOption(command);
}
