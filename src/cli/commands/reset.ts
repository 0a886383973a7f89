import { Command } from 'commander';
import { pipelineDeclaration, pipelineNames } from '../../pipelines/registry.js';
import { resetPipelineData, resetReportLines } from '../../pipelines/pipeline-reset.js';
import { UserError } from '../../util/errors.js';
import { acquireLease } from '../../log/lease.js';
import { pipelineLeaseKey } from '../../pipelines/run-owned-pipeline.js';
import { addDataDirOption, openDataDirLog } from '../context.js';

export function resetCommand(): Command {
  const command = new Command('reset')
    .description('start a pipeline over: drop its checkpoint, empty its output topics and the lake tables filled from them, so its next run reprocesses the source from the earliest offset')
    .argument('<pipeline>', `the pipeline (${pipelineNames().join(', ')})`)
    .option('--keep-lake', 'leave the lake tables filled from its results as they are (the next run adds its results to them: each window twice)')
    .addHelpText(
      'after',
      '\nExamples:\n  streamrec reset ratings\n  streamrec reset clicks --keep-lake\n\n'
        + 'Stop the pipeline (process, up) first: reset refuses while it runs, naming it. The source topic and the lake tables copied from it are kept: reprocessing\n'
        + 'does not change them. Every result is written again, once: in the output topics, the totals the server shows\n'
        + '(after its restart) and the lake. A reset that stopped partway is finished by running it again.',
    )
    .action(async (name: string, flags: { dataDir?: string; keepLake?: boolean }) => {
      const declaration = pipelineDeclaration(name);
      const { log, dataDir } = openDataDirLog(flags);
      try {
        // Reset holds the pipeline's lease while it works: a running processor makes it refuse
        // (naming the owner), and one that starts meanwhile waits as a standby until it is done.
        const lease = await acquireLease(log, pipelineLeaseKey(name), { label: name, standby: false, refuseHint: `stop it first, then run \`streamrec reset ${name}\` again` });
        let report;
        try {
          report = await resetPipelineData(declaration, { log, dataDir, keepLake: flags.keepLake === true });
        } catch (err) {
          throw new UserError(`reset ${name} stopped partway (${err instanceof Error ? err.message : String(err)}): run it again to finish`, { cause: err });
        } finally {
          await lease?.release();
        }
        process.stderr.write(resetReportLines(report).map((line, i) => (i === 0 ? `streamrec: ${line}` : line)).join('\n') + '\n');
      } finally {
        await log.close();
      }
    });
  return addDataDirOption(command);
}
