/**
 * A pipeline's processor in a worker thread (used by `streamrec up`): catching up on a backlog is
 * CPU work that would otherwise stall the API on the main thread. It owns the pipeline's lease
 * (waiting as a hot standby while another processor owns it), posts its status, and on a 'stop'
 * message writes a final checkpoint, finishes the lake files and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openLog } from '../../log/open-log.js';
import { openPipeline } from '../../pipelines/registry.js';
import { runOwnedPipeline } from '../../pipelines/run-owned-pipeline.js';
import { loadConfig } from '../../util/config.js';

export interface ProcessorWorkerData {
  dataDir: string;
  /** The `--log` URL the main thread resolved (flag or STREAMREC_LOG): the worker opens the same log. */
  log: string;
  pipeline: string;
  lake: boolean;
  /** Wait as a standby while another processor owns the pipeline (false: fail naming the owner). */
  standby: boolean;
}

const data = workerData as ProcessorWorkerData;
const controller = new AbortController();
parentPort!.on('message', (m: unknown) => {
  if (m === 'stop') controller.abort();
});

const log = openLog({ dataDir: data.dataDir, log: data.log });
try {
  const pipeline = await openPipeline(data.pipeline, { dataDir: data.dataDir, log });
  const status = await runOwnedPipeline({
    name: data.pipeline,
    pipeline,
    log,
    lake: data.lake,
    standby: data.standby,
    ttlMs: loadConfig().leaseTtlMs,
    refuseHint: 'stop it first, or leave out --no-standby to wait as its standby',
    signal: controller.signal,
    notify: (message) => parentPort!.postMessage({ type: 'notice', message }),
    onStandby: (message) => parentPort!.postMessage({ type: 'standby', message }),
    onStart: (start) => parentPort!.postMessage({ type: 'start', start }),
    onStatus: (s) => parentPort!.postMessage({ type: 'status', status: s }),
  });
  parentPort!.postMessage({ type: 'done', status });
} catch (err) {
  parentPort!.postMessage({ type: 'error', message: (err as Error).message });
} finally {
  await log.close();
  // The message listener would keep this thread alive after the pipeline has stopped.
  parentPort!.close();
}
