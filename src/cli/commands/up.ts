import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RunnerStatus } from '../../engine/pipeline-runner.js';
import { ensureCatalogue } from '../../movies/catalogue-store.js';
import { generateRatings } from '../../pipelines/ratings/ratings-generator.js';
import type { PacedStats } from '../../pipelines/paced-producer.js';
import { listen } from '../../server/listen.js';
import { loadConfig } from '../../util/config.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal, openDataDirLog } from '../context.js';
import { addServerOptions } from './serve.js';
import { addRatingsGeneratorOptions, catalogueChoice, type RatingsFlags } from './generate.js';
import { UserError } from '../../util/errors.js';

interface UpFlags extends RatingsFlags {
  generate: boolean;
  port?: number;
  host: string;
}

/**
 * `streamrec up` — what `npm start` runs: the ratings generator, the processor (in a worker
 * thread) and the API + dashboard, in one process. Ctrl-C stops the generator, lets the
 * processor write a final checkpoint, and closes the server.
 */
export function upCommand(): Command {
  const command = addServerOptions(addRatingsGeneratorOptions(new Command('up'), '200'))
    .description('run everything: generator, processor and the live dashboard (until Ctrl-C)')
    .option('--no-generate', 'do not generate ratings: process and serve what the data dir gets')
    .addHelpText('after', '\nExamples:\n  streamrec up\n  streamrec up --rate 500 --port 9000\n  streamrec up --no-generate --data-dir /srv/streamrec\n  streamrec up --movies ml-latest-small/movies.csv')
    .action(async (flags: UpFlags) => runUp(flags));
  return addDataDirOption(command);
}

async function runUp(flags: UpFlags): Promise<void> {
  const { dataDir, log } = openDataDirLog(flags.dataDir);
  const catalogue = await ensureCatalogue(catalogueChoice(dataDir, flags.movies));
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const config = loadConfig();
  const server = await listen({
    log, dataDir, port: flags.port ?? config.port, host: flags.host,
    logger: { level: config.logLevel, file: join(dataDir, 'logs', 'server.log') },
  });
  process.stderr.write(`streamrec: dashboard at ${server.url}  (API docs ${server.url}/docs; request log ${join(dataDir, 'logs', 'server.log')})\n`);
  if (server.recommend) process.stderr.write(`streamrec: ${server.recommend.summary()}\n`);
  process.stderr.write(`streamrec: data in ${dataDir}. Ctrl-C stops after a final checkpoint.\n`);

  const worker = new Worker(new URL('../workers/processor-worker.js', import.meta.url), { workerData: { dataDir, pipeline: 'ratings', lake: true } });
  let processed: RunnerStatus | null = null;
  let generated: PacedStats | null = null;
  let workerError: string | null = null;
  const workerDone = new Promise<void>((resolve) => {
    worker.on('message', (m: { type: string; status?: RunnerStatus; message?: string }) => {
      if (m.type === 'status' || m.type === 'done') processed = m.status ?? processed;
      if (m.type === 'error') workerError = m.message ?? 'processor failed';
    });
    worker.on('error', (err) => {
      workerError = err.message;
      resolve();
    });
    worker.on('exit', () => resolve());
  });

  const line = progress();
  const show = () => {
    const g = generated ? `generated ${formatCount(generated.sent)} (${formatCount(generated.rate)}/s)` : 'not generating';
    const p = processed
      ? `processed ${formatCount(processed.processed)} · lag ${formatCount(processed.lag)} · finals ${formatCount(processed.finals)} · late ${formatCount(processed.late)}`
      : 'processor starting';
    line.update(`${g} · ${p} · ${server.url}`);
  };
  const ticker = setInterval(show, 500);
  const signal = interruptSignal();
  try {
    if (flags.generate) {
      const seed = flags.seed ?? (Date.now() % 1_000_000) + 1;
      await generateRatings({
        log, catalogue, users: flags.users, seed, rate: flags.rate, count: flags.count, durationMs: flags.duration,
        lateFraction: flags.lateFraction, minDelayMs: flags.minDelay, maxDelayMs: flags.maxDelay, signal,
        onProgress: (s) => (generated = { ...s }),
      });
    }
    // The signal may have fired already (it is what stopped the generator).
    if (!signal.aborted) await Promise.race([new Promise((r) => signal.addEventListener('abort', r, { once: true })), workerDone]);
  } finally {
    clearInterval(ticker);
    worker.postMessage('stop');
    await workerDone;
    show();
    line.done();
    await server.close();
    await log.close();
  }
  if (workerError) throw new UserError(`processor: ${workerError}`);
  process.stderr.write(`streamrec: stopped cleanly after ${formatDuration(process.uptime() * 1000)}.\n`);
}
