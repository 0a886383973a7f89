/**
 * Loaded into the soaked `up` process with `node --import`: every interval it appends one JSON line
 * (rss, heap, event-loop delay p99/max over the interval) to the file named by SOAK_PROBE_FILE. The
 * server needs no code of its own for the soak, and the probe measures the process's main thread,
 * where the API, the SSE hubs and the generators run (processors have worker threads of their own).
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.SOAK_PROBE_FILE;
const intervalMs = Number(process.env.SOAK_PROBE_INTERVAL_MS ?? 5000);
if (file) {
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
