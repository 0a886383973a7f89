/**
 * `npm run bench -- api`: the metrics API under load from a second process (autocannon), and
 * 1,000 SSE clients each receiving every result. The server runs here over a log holding real
 * pipeline output; the load generator runs in a child process so it does not share this core's
 * event loop.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { buildServer } from '../src/server/app.js';
import { openEmbeddedLog } from '../src/log/open-log.js';
import { runPipeline } from '../src/engine/pipeline-runner.js';
import { ensureCatalogue } from '../src/movies/catalogue-store.js';
import { generateRatings } from '../src/pipelines/ratings/ratings-generator.js';
import { ratingsPipeline } from '../src/pipelines/ratings/ratings-pipeline.js';
import { waitFor } from '../test/helpers/sse-client.js';
import { tempDir } from '../test/helpers/tmp.js';
import { printFigures, say, type Figure } from './report.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const SSE_CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 1000);

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** Runs autocannon in a child process (bench/load-child.js) and returns its summary. */
function load(url: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./load-child.js', import.meta.url), [url, String(DURATION_S)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m) => resolve(m as LoadResult));
    child.on('error', reject);
  });
}

export async function run(): Promise<void> {
  const { dir, cleanup } = tempDir('bench-api-');
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    say('api bench: preparing metrics from 200k ratings through the pipeline (not timed)');
    const catalogue = await ensureCatalogue({ dataDir: dir });
    await generateRatings({ log, catalogue, users: 5000, seed: 1, rate: Infinity, count: 200_000, backfill: { fromMs: Date.UTC(2025, 10, 10), spanMs: 6 * 3_600_000 } });
    await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true });

    const server = await buildServer({ log, logger: false, healthEveryMs: 1000 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(server.app.server.address() as net.AddressInfo).port}`;
    await waitFor(() => server.view.summary() !== null, 10_000, 'metrics loaded');

    const figures: Figure[] = [];
    const baseline = await load(`${base}/metrics/health`);
    say(`GET /metrics/health (baseline): ${Math.round(baseline.rps).toLocaleString('en-US')} req/s, p99 ${baseline.p99} ms`);
    for (const path of ['/metrics/summary', '/metrics/topn?limit=10']) {
      const r = await load(`${base}${path}`);
      if (r.errors || r.non2xx) throw new Error(`${path}: ${r.errors} errors, ${r.non2xx} non-2xx`);
      say(`GET ${path}: ${Math.round(r.rps).toLocaleString('en-US')} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms (${r.requests} requests)`);
      const name = path.split('?')[0]!.slice(1).replace('/', '_');
      figures.push({ name: `${name}_rps`, value: r.rps, unit: 'req/s', baseline: baseline.rps });
      figures.push({ name: `${name}_p99`, value: r.p99, unit: 'ms' });
    }

    // SSE fan-out: N clients in a second process; each result carries its send time.
    say(`SSE: connecting ${SSE_CLIENTS} clients from a second process`);
    const rounds = 20;
    const child = fork(new URL('./sse-child.js', import.meta.url), [`${base}/metrics/stream`, String(SSE_CLIENTS), String(rounds)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const messages: { type: string; delays?: number[]; missing?: number }[] = [];
    child.on('message', (m) => messages.push(m as (typeof messages)[number]));
    await waitFor(() => messages.some((m) => m.type === 'connected'), 60_000, 'every client connected');
    const held = server.hub.size;
    for (let round = 0; round < rounds; round++) {
      server.hub.publish('metrics', { bench_round: round, sentAt: performance.timeOrigin + performance.now() });
      await new Promise((r) => setTimeout(r, 250));
    }
    child.send('done');
    await waitFor(() => messages.some((m) => m.type === 'result'), 30_000, 'client report');
    const result = messages.find((m) => m.type === 'result')!;
    const delays = result.delays!.sort((a, b) => a - b);
    const p99 = delays[Math.floor(delays.length * 0.99)]!;
    const max = delays[delays.length - 1]!;
    say(`SSE: ${held} clients held; results missed by any client: ${result.missing}; emission → receipt p50 ${delays[Math.floor(delays.length / 2)]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    if (result.missing) throw new Error(`${result.missing} deliveries missing`);
    figures.push({ name: 'sse_clients_held', value: held, unit: 'clients' });
    figures.push({ name: 'sse_delivery_p99', value: p99, unit: 'ms' });
    figures.push({ name: 'sse_delivery_max', value: max, unit: 'ms' });
    await server.close();
    printFigures('api', figures);
  } finally {
    await log.close();
    cleanup();
  }
}
