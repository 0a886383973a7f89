/**
 * A pipeline's processor in a worker thread (used by `streamrec up`): catching up on a backlog is
 * CPU work that would otherwise stall the API on the main thread. It posts its status, and on a
 * 'stop' message writes a final checkpoint, finishes the lake files and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runPipeline } from '../../engine/pipeline-runner.js';
import { openLog } from '../../log/open-log.js';
import { openPipeline } from '../../pipelines/registry.js';

export interface ProcessorWorkerData {
  dataDir: string;
  pipeline: string;
  lake: boolean;
}

const data = workerData as ProcessorWorkerData;
const controller = new AbortController();
parentPort!.on('message', (m: unknown) => {
  if (m === 'stop') controller.abort();
});

const log = openLog({ dataDir: data.dataDir });
try {
  const pipeline = await openPipeline(data.pipeline, { dataDir: data.dataDir, log });
  const lake = data.lake ? pipeline.startLake(controller.signal) : null;
  const status = await runPipeline(pipeline.spec, {
    log,
    signal: controller.signal,
    onStart: (start) => parentPort!.postMessage({ type: 'start', start }),
    onStatus: (s) => parentPort!.postMessage({ type: 'status', status: s }),
  });
  if (lake) await lake.finish();
  parentPort!.postMessage({ type: 'done', status });
} catch (err) {
  parentPort!.postMessage({ type: 'error', message: (err as Error).message });
} finally {
  await log.close();
  // The message listener would keep this thread alive after the pipeline has stopped.
  parentPort!.close();
}
