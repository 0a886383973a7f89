import { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RunnerStatus } from '../../engine/pipeline-runner.js';
import type { PacedStats } from '../../pipelines/paced-producer.js';
import { pipelineDeclarations, type AnyPipelineDeclaration } from '../../pipelines/registry.js';
import { listen } from '../../server/listen.js';
import { loadConfig } from '../../util/config.js';
import { formatDuration } from '../../util/duration.js';
import { progress } from '../../util/progress.js';
import { addDataDirOption, formatCount, interruptSignal, openDataDirLog } from '../context.js';
import { addServerOptions } from './serve.js';
import { serverAccess } from '../server-options.js';
import { addPacedOptions, optionParsers, pacedFlags, type GeneratorFlags } from './generate.js';
import { UserError } from '../../util/errors.js';
import type { SideWorkerData, SideWorkerMessage } from '../workers/pipeline-side-worker.js';
import type { ProcessorWorkerData } from '../workers/processor-worker.js';
import { addRetrainOptions, retrainPolicy, retrainStatusLine, startRetraining, type RetrainFlags } from '../retrain-options.js';

interface UpFlags extends GeneratorFlags, RetrainFlags {
  generate: boolean;
  standby: boolean;
  port?: number;
  host: string;
}

/** The pipelines `up` runs: those declared to. */
function upPipelines(): AnyPipelineDeclaration[] {
  return pipelineDeclarations().filter((d) => d.runInUp);
}

/** The generators `up` runs: those of its pipelines not declared `generateInUp: false`. */
function upGenerators() {
  return upPipelines().filter((d) => d.generator && d.generateInUp !== false).map((d) => ({ name: d.name, generator: d.generator! }));
}

/**
 * `streamrec up` — what `npm start` runs: the generators, the processors (one worker thread each)
 * and the API + dashboard, in one process, for every pipeline declared to run in `up`. Ctrl-C
 * stops the generators, lets the processors write a final checkpoint, and closes the server.
 */
export function upCommand(): Command {
  const generators = upGenerators();
  let command = addPacedOptions(new Command('up'), '200', generators.map((g) => g.generator.noun).join(' and ') || 'events');
  for (const { generator } of generators) command = generator.options(command, optionParsers);
  command = addRetrainOptions(addServerOptions(command))
    .description('run everything: generator, processor and the live dashboard (until Ctrl-C)')
    .option('--no-generate', 'do not generate events: process and serve what the data dir gets')
    .option('--no-standby', 'fail when another processor owns a pipeline, instead of waiting as its hot standby')
    .addHelpText('after', '\nExamples:\n  streamrec up\n  streamrec up --rate 500 --port 9000\n  streamrec up --no-generate --data-dir /srv/streamrec\n  streamrec up --retrain-every 1h --retrain-after 10000\n  streamrec up --movies ml-latest-small/movies.csv')
    .action(async (flags: UpFlags) => runUp(flags));
  return addDataDirOption(command);
}

interface ProcessorHandle {
  name: string;
  status: RunnerStatus | null;
  /** Set while waiting as a standby for another processor of the pipeline. */
  standby: string | null;
  error: string | null;
  worker: Worker;
  done: Promise<void>;
}

function startProcessor(dataDir: string, log: string, name: string, standby: boolean): ProcessorHandle {
  const workerData: ProcessorWorkerData = { dataDir, log, pipeline: name, lake: true, standby };
  const worker = new Worker(new URL('../workers/processor-worker.js', import.meta.url), { workerData });
  const handle: ProcessorHandle = { name, status: null, standby: null, error: null, worker, done: Promise.resolve() };
  handle.done = new Promise<void>((resolve) => {
    worker.on('message', (m: { type: string; status?: RunnerStatus | null; message?: string | null }) => {
      if (m.type === 'status' || m.type === 'done') handle.status = m.status ?? handle.status;
      if (m.type === 'standby') handle.standby = m.message ?? null;
      if (m.type === 'notice') process.stderr.write(`\nstreamrec: ${m.message}\n`);
      if (m.type === 'error') handle.error = m.message ?? 'processor failed';
    });
    worker.on('error', (err) => {
      handle.error = err.message;
      resolve();
    });
    worker.on('exit', () => resolve());
  });
  return handle;
}

interface SideHandle {
  pipeline: string;
  worker: Worker;
  status: string | null;
  error: string | null;
  done: Promise<void>;
}

function startSideWorker(data: SideWorkerData, onProgress?: (stats: PacedStats) => void): SideHandle {
  const worker = new Worker(new URL('../workers/pipeline-side-worker.js', import.meta.url), { workerData: data });
  const handle: SideHandle = { pipeline: data.pipeline, worker, status: null, error: null, done: Promise.resolve() };
  handle.done = new Promise<void>((resolve) => {
    worker.on('message', (m: SideWorkerMessage) => {
      if (m.type === 'progress') onProgress?.(m.stats);
      else if (m.type === 'status') handle.status = m.status;
      else if (m.type === 'notice') process.stderr.write(`\nstreamrec: ${data.pipeline}: ${m.message}\n`);
      else if (m.type === 'error') {
        handle.error = m.message;
        process.stderr.write(`\nstreamrec: ${data.pipeline}: ${m.message}\n`);
      }
    });
    worker.on('error', (err) => {
      handle.error = err.message;
      resolve();
    });
    worker.on('exit', () => resolve());
  });
  return handle;
}

/** The flags a worker can take: values only (commander's parsed options are plain data). */
function cloneableFlags(flags: UpFlags): Record<string, unknown> {
  return Object.fromEntries(Object.entries(flags).filter(([, v]) => typeof v !== 'function'));
}

async function runUp(flags: UpFlags): Promise<void> {
  const pipelines = upPipelines();
  const paced = pacedFlags(flags);
  retrainPolicy(flags);
  const { dataDir, log, logUrl } = openDataDirLog(flags);
  const generators = upGenerators();
  for (const { generator } of generators) await generator.prepare?.(flags, { dataDir });
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const config = loadConfig();
  const server = await listen({
    log, dataDir, port: flags.port ?? config.port, host: flags.host,
    logger: { level: config.logLevel, file: join(dataDir, 'logs', 'server.log') },
    ...serverAccess(flags),
  });
  process.stderr.write(`streamrec: dashboard at ${server.url}  (API docs ${server.url}/docs; request log ${join(dataDir, 'logs', 'server.log')})\n`);
  if (server.recommend) process.stderr.write(`streamrec: ${server.recommend.summary()}\n`);
  process.stderr.write(`streamrec: data in ${dataDir}. Ctrl-C stops after a final checkpoint.\n`);
  const retrain = startRetraining(flags, { dataDir, log, service: server.recommend, notify: (m) => process.stderr.write(`\nstreamrec: ${m}\n`) });

  const processors = pipelines.map((d) => startProcessor(dataDir, logUrl, d.name, flags.standby));
  // Declared background services (commerce: the outbox relay, its sinks) and the generators run in
  // worker threads of their own (see pipeline-side-worker.ts): the main thread only serves.
  // Services start before the generators and stop after them.
  const sideFlags = cloneableFlags(flags);
  const services = pipelines.filter((d) => d.services).map((d) => startSideWorker({ dataDir, log: logUrl, pipeline: d.name, role: 'services', flags: sideFlags, paced }));
  const generated = new Map<string, PacedStats>();
  const workersDone = Promise.all(processors.map((p) => p.done));
  const anyWorkerDone = Promise.race(processors.map((p) => p.done));

  const line = progress();
  const show = () => {
    const g = generated.size > 0
      ? [...generated].map(([name, s]) => `${name}: generated ${formatCount(s.sent)} (${formatCount(s.rate)}/s)`).join(' · ')
      : 'not generating';
    const p = processors.map(({ name, status, standby }) => {
      const prefix = processors.length > 1 ? `${name} ` : '';
      if (standby) return `${prefix}standby`;
      return status
        ? `${prefix}processed ${formatCount(status.processed)} · lag ${formatCount(status.lag)} · finals ${formatCount(status.finals)} · late ${formatCount(status.late)}`
        : `${prefix}processor starting`;
    }).join(' · ');
    const sv = services.map((s) => s.status).filter(Boolean).join(' · ');
    const rt = retrain ? ` · ${retrainStatusLine(retrain.status())}` : '';
    line.update(`${g} · ${p}${sv ? ` · ${sv}` : ''}${rt} · ${server.url}`);
  };
  const ticker = setInterval(show, 500);
  const signal = interruptSignal();
  try {
    if (flags.generate) {
      const running = generators.map(({ name }) => {
        const w = startSideWorker({ dataDir, log: logUrl, pipeline: name, role: 'generator', flags: sideFlags, paced }, (stats) => generated.set(name, stats));
        const stop = () => w.worker.postMessage('stop');
        signal.addEventListener('abort', stop, { once: true });
        return w;
      });
      await Promise.all(running.map((w) => w.done));
      const failedGenerator = running.find((w) => w.error);
      if (failedGenerator) throw new UserError(`generator ${failedGenerator.pipeline}: ${failedGenerator.error}`);
    }
    // The signal may have fired already (it is what stopped the generators).
    if (!signal.aborted) await Promise.race([new Promise((r) => signal.addEventListener('abort', r, { once: true })), anyWorkerDone]);
  } finally {
    clearInterval(ticker);
    await retrain?.stop();
    for (const s of services) s.worker.postMessage('stop');
    await Promise.all(services.map((s) => s.done));
    for (const p of processors) p.worker.postMessage('stop');
    await workersDone;
    show();
    line.done();
    await server.close();
    await log.close();
  }
  const failedService = services.find((s) => s.error);
  if (failedService) throw new UserError(failedService.error!);
  const failed = processors.find((p) => p.error);
  if (failed) throw new UserError(processors.length > 1 ? `processor ${failed.name}: ${failed.error}` : `processor: ${failed.error}`);
  process.stderr.write(`streamrec: stopped cleanly after ${formatDuration(process.uptime() * 1000)}.\n`);
}
