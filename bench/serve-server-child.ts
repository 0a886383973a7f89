/**
 * The server of the serve bench, in its own process so its peak RSS is its own: the full API
 * (metrics and recommendations) over a data dir, answering the parent's questions over IPC.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { openEmbeddedLog } from '../src/log/open-log.js';
import { buildServer } from '../src/server/app.js';

const [dataDir] = process.argv.slice(2);
const started = performance.now();
const log = openEmbeddedLog({ dataDir: dataDir! });
const server = await buildServer({ log, dataDir: dataDir!, logger: false, recommend: { pollEveryMs: 1000 } });
await server.app.listen({ port: 0, host: '127.0.0.1' });
const port = (server.app.server.address() as net.AddressInfo).port;
/**
 * This process's peak RSS: VmHWM on Linux. Not resourceUsage().maxRSS, which a forked child
 * inherits from its parent (the bench process, large after training) across exec.
 */
const maxRssMb = () => {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb !== undefined) return Math.round(Number(kb) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
};
process.send!({ type: 'ready', port, loadSeconds: (performance.now() - started) / 1000, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20), maxRssMb: maxRssMb(), summary: server.recommend?.summary() });
process.on('message', (m: string) => {
  if (m === 'stats') {
    process.send!({ type: 'stats', maxRssMb: maxRssMb(), rssMb: Math.round(process.memoryUsage().rss / 2 ** 20), health: server.recommend?.health() });
  } else if (m === 'stop') {
    void server.close().then(() => log.close()).then(() => process.exit(0));
  }
});
