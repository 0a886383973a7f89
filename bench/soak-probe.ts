/**
 * Loaded into the soaked `up` process with `node --import`: every interval it appends one JSON line
 * (rss, heap, event-loop delay p99/max over the interval) to the file named by SOAK_PROBE_FILE. The
 * server needs no code of its own for the soak, and the probe measures the process's main thread,
 * where the API and the SSE hubs run (processors, generators and services have worker threads).
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const file = process.env.SOAK_PROBE_FILE;
const intervalMs = Number(process.env.SOAK_PROBE_INTERVAL_MS ?? 5000);
// Worker threads started from a file inherit `--import`: only the main thread (API, SSE hubs)
// measures, else a processor worker's batch work would be reported as the server's delay.
if (file && isMainThread) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const line = { t: Date.now(), rssMb: m.rss / 1048576, heapMb: m.heapUsed / 1048576, loopP99Ms: delay.percentile(99) / 1e6, loopMaxMs: delay.max / 1e6 };
    delay.reset();
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  }, intervalMs);
  timer.unref();
}
