import { Command } from 'commander';
import { pipelineDeclarations } from '../../pipelines/registry.js';
import type { BackgroundService } from '../../pipelines/pipeline-declaration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, interruptSignal, openDataDirLog } from '../context.js';
import { optionParsers } from './generate.js';

/**
 * `streamrec relay <pipeline>`: runs a pipeline's relay services alone (commerce: the outbox relay
 * from the shop's database to the log) with a status line, until Ctrl-C or, with
 * `--exit-when-idle`, until nothing is left to move.
 */
export function relayCommand(): Command {
  const relay = new Command('relay').description("move a pipeline's source database changes into the log, exactly once (commerce: the shop's outbox)");
  for (const declaration of pipelineDeclarations()) {
    const { services, generator } = declaration;
    if (!services) continue;
    let command = new Command(declaration.name)
      .description(`run the ${declaration.name} relay alone (\`streamrec up\` runs it too)`)
      .option('--exit-when-idle', 'stop once everything committed so far is in the log')
      .option('--no-lock', 'skip the courtesy lock (a second relay is still fenced by the log: no duplicates)');
    if (generator) command = generator.options(command, optionParsers);
    command.addHelpText('after', `\nExamples:\n  streamrec relay ${declaration.name}\n  streamrec relay ${declaration.name} --exit-when-idle --postgres postgres://127.0.0.1/test`);
    command.action(async (flags: Record<string, unknown>) => {
      const { dataDir, log } = openDataDirLog({ dataDir: flags.dataDir as string | undefined, log: flags.log as string | undefined });
      const line = progress();
      const chosen: BackgroundService[] = services({
        dataDir, log, flags, exitWhenIdle: flags.exitWhenIdle === true,
        notify: (m) => {
          line.done();
          process.stderr.write(`streamrec: ${m}\n`);
        },
      }).filter((s) => s.kind === 'relay');
      const signal = interruptSignal();
      const ticker = setInterval(() => line.update(chosen.map((s) => s.status?.() ?? s.name).join(' · ')), 500);
      try {
        process.stderr.write(`streamrec: ${chosen.map((s) => s.name).join(', ')} into ${log.description}. Ctrl-C stops.\n`);
        await Promise.all(chosen.map((s) => s.run(signal)));
      } finally {
        clearInterval(ticker);
        line.done(chosen.map((s) => s.status?.() ?? s.name).join(' · '));
        await log.close();
      }
    });
    relay.addCommand(addDataDirOption(command));
  }
  return relay;
}
