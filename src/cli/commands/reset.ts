import { Command } from 'commander';
import { resetPipeline } from '../../engine/pipeline-runner.js';
import { pipelineDeclaration, pipelineNames } from '../../pipelines/registry.js';
import { addDataDirOption, openDataDirLog } from '../context.js';

export function resetCommand(): Command {
  const command = new Command('reset')
    .description('drop a pipeline’s checkpoint, so its next run reprocesses the source topic from the earliest offset')
    .argument('<pipeline>', `the pipeline (${pipelineNames().join(', ')})`)
    .addHelpText('after', '\nExamples:\n  streamrec reset ratings\n\nResults already written to the output topic stay; the next run writes new ones after them.')
    .action(async (name: string, flags: { dataDir?: string }) => {
      pipelineDeclaration(name);
      const { log } = openDataDirLog(flags.dataDir);
      try {
        const had = await resetPipeline(log, name);
        process.stderr.write(had ? `streamrec: reset ${name}: its next run starts at the earliest offset\n` : `streamrec: ${name} had no checkpoint; nothing to reset\n`);
      } finally {
        await log.close();
      }
    });
  return addDataDirOption(command);
}
