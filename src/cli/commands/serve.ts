import { Command } from 'commander';
import { listen } from '../../server/listen.js';
import { loadConfig } from '../../util/config.js';
import { addDataDirOption, interruptSignal, openDataDirLog } from '../context.js';
import { addServerOptions, serverAccess, type ServerFlags } from '../server-options.js';
import { addRetrainOptions, retrainPolicy, startRetraining, type RetrainFlags } from '../retrain-options.js';

export { addServerOptions };

export function serveCommand(): Command {
  const command = addRetrainOptions(addServerOptions(new Command('serve')))
    .description('run the API and dashboard alone, against a data dir other processes feed')
    .addHelpText('after', '\nExamples:\n  streamrec serve\n  streamrec serve --port 9000 --host 0.0.0.0 --data-dir /srv/streamrec\n  streamrec serve --retrain-every 1h   # with `streamrec process` filling the lake')
    .action(async (flags: ServerFlags & RetrainFlags & { dataDir?: string; host: string }) => {
      retrainPolicy(flags);
      const { dataDir, log } = openDataDirLog(flags);
      const config = loadConfig();
      // Before listening: a Ctrl-C in the moment after the URL is printed must still stop cleanly.
      const signal = interruptSignal();
      const server = await listen({ log, dataDir, port: flags.port ?? config.port, host: flags.host, logger: { level: config.logLevel }, ...serverAccess(flags) });
      process.stderr.write(`streamrec: dashboard and API at ${server.url} (docs: ${server.url}/docs). Ctrl-C stops.\n`);
      if (server.recommend) process.stderr.write(`streamrec: ${server.recommend.summary()}\n`);
      const retrain = startRetraining(flags, { dataDir, log, service: server.recommend, notify: (m) => process.stderr.write(`streamrec: ${m}\n`) });
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      await retrain?.stop();
      await server.close();
      await log.close();
    });
  return addDataDirOption(command);
}
