/**
 * A pipeline's generator or its declared services in a worker thread (used by `streamrec up`).
 * Both write SQLite files synchronously — the embedded shop and its relay most of all — and on the
 * main thread they would stall the API and the SSE streams for as long as each write (or a wait for
 * the log's write lock) takes. Here they get their own log connection and thread; the main thread
 * only serves. It posts progress and status, and stops on a 'stop' message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLog } from '../../log/open-log.js';
import type { PacedFlags } from '../../pipelines/pipeline-declaration.js';
import type { PacedStats } from '../../pipelines/paced-producer.js';
import { pipelineDeclaration } from '../../pipelines/registry.js';

export interface SideWorkerData {
  dataDir: string;
  /** The `--log` URL the main thread resolved (flag or STREAMREC_LOG): the worker opens the same log. */
  log: string;
  pipeline: string;
  role: 'generator' | 'services';
  flags: Record<string, unknown>;
  paced: PacedFlags;
}

/** What a side worker posts to `up`. */
export type SideWorkerMessage =
  | { type: 'progress'; stats: PacedStats }
  | { type: 'status'; status: string }
  | { type: 'notice'; message: string }
  | { type: 'error'; message: string }
  | { type: 'done' };

const data = workerData as SideWorkerData;
const post = (m: SideWorkerMessage) => parentPort!.postMessage(m);
const controller = new AbortController();
parentPort!.on('message', (m: unknown) => {
  if (m === 'stop') controller.abort();
});

const log = openLog({ dataDir: data.dataDir, log: data.log });
const declaration = pipelineDeclaration(data.pipeline);
try {
  if (data.role === 'generator') {
    await declaration.generator!.run(data.flags, data.paced, {
      log,
      dataDir: data.dataDir,
      signal: controller.signal,
      onProgress: (stats) => post({ type: 'progress', stats: { ...stats } }),
      onDiskProblem: (p) => post({ type: 'notice', message: p ? `generator held: ${p.message}; retrying every second` : 'generator writing again' }),
    });
  } else {
    const services = declaration.services?.({ dataDir: data.dataDir, log, flags: data.flags, notify: (message) => post({ type: 'notice', message }) }) ?? [];
    const ticker = setInterval(() => {
      const status = services.map((s) => s.status?.()).filter(Boolean).join(' · ');
      if (status) post({ type: 'status', status });
    }, 500);
    try {
      await Promise.all(services.map(async (s) => {
        try {
          await s.run(controller.signal);
        } catch (err) {
          post({ type: 'error', message: `${s.name}: ${(err as Error).message}` });
          controller.abort();
        }
      }));
    } finally {
      clearInterval(ticker);
    }
  }
  post({ type: 'done' });
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
} finally {
  await log.close();
  parentPort!.close();
}
