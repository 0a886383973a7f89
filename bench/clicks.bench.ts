/**
 * `npm run bench -- clicks`: click ingestion with durable acknowledgement. The real `streamrec up
 * --no-generate` (server + one processor worker per pipeline, embedded log in a tmp dir) takes
 * `POST /clicks` from autocannon in a second process; beside it the same load on a route that
 * appends nothing (`GET /metrics/health`) → ratio. Then the POST → SSE delay: single clicks at a
 * low rate while a client on `/clicks/stream` waits for totals that include each. Peak RSS is
 * the server process's (VmHWM).
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openEmbeddedLog } from '../src/log/open-log.js';
import type { ClicksData } from '../src/pipelines/clicks/clicks-contract.js';
import { CLICKS_TOPIC } from '../src/pipelines/clicks/click-event.js';
import { sseConnect, waitFor } from '../test/helpers/sse-client.js';
import { tempDir } from '../test/helpers/tmp.js';
import { printFigures, say, type Figure } from './report.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SSE_SAMPLES = Number(process.env.BENCH_SSE_SAMPLES ?? 50);
const BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, { count: number }>;
}

function load(url: string, method: 'GET' | 'POST', body?: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const args = [url, String(DURATION_S), String(CONNECTIONS), method, ...(body ? [body] : [])];
    const child = fork(new URL('./clicks-load-child.js', import.meta.url), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m) => resolve(m as LoadResult));
    child.on('error', reject);
  });
}

function vmHwmMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? NaN : Math.round(Number(kb) / 1024);
}

const sum = (d: ClicksData) => d.totals.cheers + d.totals.hate;

export async function run(): Promise<void> {
  const { dir, cleanup } = tempDir('bench-clicks-');
  let stderr = '';
  const up = spawn(process.execPath, [BIN, 'up', '--no-generate', '--port', '0', '--data-dir', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, STREAMREC_CLICKS_RATE_LIMIT: '0', STREAMREC_LOG_LEVEL: 'warn' },
  });
  up.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => up.on('exit', (code) => resolve(code)));
  try {
    await waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 60_000, 'the server');
    const base = /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!.replace('localhost', '127.0.0.1');
    const figures: Figure[] = [];

    const baseline = await load(`${base}/metrics/health`, 'GET');
    say(`GET /metrics/health (baseline, no append): ${Math.round(baseline.rps).toLocaleString('en-US')} req/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
    const clicks = await load(`${base}/clicks`, 'POST', '{"type":"cheers"}');
    if (clicks.errors || clicks.non2xx) throw new Error(`POST /clicks: ${clicks.errors} errors, ${clicks.non2xx} non-2xx ${JSON.stringify(clicks.statusCodes)}`);
    say(`POST /clicks (${CONNECTIONS} connections, ${DURATION_S} s): ${Math.round(clicks.rps).toLocaleString('en-US')} clicks/s acknowledged durably, `
      + `p50 ${clicks.p50} ms, p99 ${clicks.p99} ms (${clicks.requests.toLocaleString('en-US')} clicks)`);
    figures.push({ name: 'post_clicks_acked_per_s', value: clicks.rps, unit: 'clicks/s', baseline: baseline.rps });
    figures.push({ name: 'post_clicks_p99', value: clicks.p99, unit: 'ms', baseline: baseline.p99 });

    // Let the processor catch up: the totals reach what the topic holds.
    const log = openEmbeddedLog({ dataDir: dir });
    let inTopic = 0;
    try {
      const info = await log.topic(CLICKS_TOPIC);
      inTopic = info!.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0);
    } finally {
      await log.close();
    }
    const caughtUpFrom = performance.now();
    let current: ClicksData | null = null;
    await waitFor(() => {
      void fetch(`${base}/clicks/data`).then(async (r) => (current = (await r.json()) as ClicksData)).catch(() => {});
      return current !== null && sum(current) === inTopic;
    }, 120_000, 'totals caught up');
    say(`topic holds ${inTopic.toLocaleString('en-US')} clicks (${clicks.requests.toLocaleString('en-US')} acknowledged); totals caught up ${((performance.now() - caughtUpFrom) / 1000).toFixed(1)} s after the load`);
    if (inTopic < clicks.requests) throw new Error('fewer clicks in the topic than acknowledged');

    // POST → SSE: one click every 200 ms; each one's delay is from its POST to the first data event whose totals include it.
    const sse = sseConnect(`${base}/clicks/stream`);
    await waitFor(() => sse.events.some((e) => e.event === 'snapshot'), 10_000, 'SSE snapshot');
    const start = sum(JSON.parse(sse.events.find((e) => e.event === 'snapshot')!.data) as ClicksData);
    const sent: number[] = [];
    for (let i = 0; i < SSE_SAMPLES; i++) {
      sent.push(performance.timeOrigin + performance.now());
      const res = await fetch(`${base}/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"hate"}' });
      if (res.status !== 202) throw new Error(`POST /clicks: ${res.status}`);
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(() => sse.events.some((e) => e.event === 'data' && sum(JSON.parse(e.data) as ClicksData) >= start + SSE_SAMPLES), 10_000, 'the last click on the stream');
    const seen = sse.events.filter((e) => e.event === 'data').map((e) => ({ total: sum(JSON.parse(e.data) as ClicksData), at: e.receivedAt }));
    sse.close();
    const delays = sent.map((at, i) => seen.find((s) => s.total >= start + i + 1)!.at - at).sort((a, b) => a - b);
    const p50 = delays[Math.floor(delays.length / 2)]!;
    const p99 = delays[Math.min(delays.length - 1, Math.floor(delays.length * 0.99))]!;
    say(`POST → SSE (${SSE_SAMPLES} single clicks, one every 200 ms): p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${delays[delays.length - 1]!.toFixed(0)} ms`);
    figures.push({ name: 'post_to_sse_p50', value: p50, unit: 'ms' });
    figures.push({ name: 'post_to_sse_p99', value: p99, unit: 'ms' });

    const rss = vmHwmMb(up.pid!);
    say(`server (streamrec up: API + processor workers) peak RSS ${rss} MB`);
    figures.push({ name: 'server_peak_rss', value: rss, unit: 'MB' });
    printFigures('clicks', figures);
  } finally {
    up.kill('SIGINT');
    await exited;
    cleanup();
  }
}
