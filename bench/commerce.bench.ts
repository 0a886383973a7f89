/**
 * `npm run bench -- commerce`: the outbox relay and commit → dashboard delay, on the real
 * PostgreSQL (a database of its own, dropped after).
 * 1. Relay throughput: the shop's outbox prefilled with BENCH_OUTBOX_ROWS rows (not timed), then
 *    the relay moves them into an embedded log (records + commerce.events + position per round),
 *    beside a bare `SELECT` of the same rows with pg → ratio.
 * 2. Commit → dashboard: the real `streamrec up --no-generate --postgres …` (relay service, processor
 *    worker, server); single purchases committed at a low rate while a client on `/commerce/stream`
 *    waits for the first update of the open window that includes each → p50/p99. Peak RSS: this
 *    process (relay part) and the `up` process (VmHWM).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openEmbeddedLog } from '../src/log/open-log.js';
import { OutboxRelay } from '../src/pipelines/commerce/relay/commerce-relay.js';
import { ShopTraffic, type Draft } from '../src/pipelines/commerce/shop/shop-model.js';
import { openShop } from '../src/pipelines/commerce/shop/shop-store.js';
import { sseConnect, waitFor } from '../test/helpers/sse-client.js';
import { tempDir } from '../test/helpers/tmp.js';
import { peakRssMb, printFigures, say, seconds, type Figure } from './report.js';

const ROWS = Number(process.env.BENCH_OUTBOX_ROWS ?? 200_000);
const SAMPLES = Number(process.env.BENCH_E2E_SAMPLES ?? 40);
const BASE_URL = process.env.STREAMREC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function vmHwmMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? NaN : Math.round(Number(kb) / 1024);
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: BASE_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function run(): Promise<void> {
  const dbName = `bench_commerce_${randomBytes(4).toString('hex')}`;
  try {
    await admin('SELECT 1');
  } catch (err) {
    say(`commerce bench: PostgreSQL not reachable at ${BASE_URL} (${(err as Error).message}); skipped`);
    return;
  }
  await admin(`CREATE DATABASE ${dbName}`);
  const url = withDatabase(BASE_URL, dbName);
  const { dir, cleanup } = tempDir('bench-commerce-');
  const figures: Figure[] = [];
  try {
    // 1. Prefill (not timed).
    const shop = await openShop({ dataDir: dir, postgresUrl: url, schema: 'bench_shop' });
    const traffic = new ShopTraffic(1, shop.products, shop.customers);
    let rows = 0;
    while (rows < ROWS) rows += await shop.write(Array.from({ length: 2000 }, () => traffic.next(Date.now())));
    say(`prefilled ${rows.toLocaleString('en-US')} outbox rows in PostgreSQL`);

    // Baseline: a bare SELECT of the same rows with pg.
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('VACUUM ANALYZE bench_shop.outbox');
    let t = process.hrtime.bigint();
    const all = await c.query('SELECT id, topic, customer_id, payload, created_at, xid::text FROM bench_shop.outbox ORDER BY xid, id');
    const selectS = seconds(t);
    await c.end();
    const selectRate = all.rowCount! / selectS;
    say(`bare SELECT of the ${all.rowCount!.toLocaleString('en-US')} rows: ${selectS.toFixed(3)} s (${Math.round(selectRate).toLocaleString('en-US')} rows/s)`);

    const log = openEmbeddedLog({ dataDir: dir });
    const relay = new OutboxRelay(shop, log, { exitWhenIdle: true });
    t = process.hrtime.bigint();
    await relay.run(new AbortController().signal);
    const relayS = seconds(t);
    await log.close();
    await shop.close();
    if (relay.status.relayed !== rows) throw new Error(`relayed ${relay.status.relayed} of ${rows} rows`);
    const relayRate = rows / relayS;
    say(`relay PostgreSQL → embedded log: ${relayS.toFixed(3)} s (${Math.round(relayRate).toLocaleString('en-US')} events/s, each also on commerce.events, position committed per round)`);
    figures.push({ name: 'relay_events_per_s', value: relayRate, unit: 'events/s', baseline: selectRate });
    const relayRss = peakRssMb();

    // 2. Commit → dashboard through `up`.
    const upDir = tempDir('bench-commerce-up-');
    let stderr = '';
    const up = spawn(process.execPath, [BIN, 'up', '--no-generate', '--port', '0', '--data-dir', upDir.dir, '--postgres', url, '--shop-schema', 'e2e_shop'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, STREAMREC_LOG_LEVEL: 'warn' },
    });
    up.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => up.on('exit', (code) => r(code)));
    try {
      await waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 60_000, 'the server');
      const base = /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!.replace('localhost', '127.0.0.1');
      const e2eShop = await openShop({ dataDir: upDir.dir, postgresUrl: url, schema: 'e2e_shop' });
      const sse = sseConnect(`${base}/commerce/stream`);
      const traffic2 = new ShopTraffic(2, e2eShop.products, e2eShop.customers);
      const perWindow = new Map<number, number>();
      const delays: number[] = [];
      const purchase = (): Draft => {
        for (;;) {
          const d = traffic2.next(Date.now());
          if (d.kind === 'purchase') return d;
        }
      };
      // Warm-up: the relay and the processor have the topics and a first window.
      await e2eShop.write([purchase()]);
      await waitFor(() => sse.events.some((e) => e.event === 'summary'), 30_000, 'a first summary');
      perWindow.clear();
      const counted = (e: { event: string; data: string }, start: number): number => {
        if (e.event !== 'summary') return -1;
        const s = JSON.parse(e.data) as { window_start: string; final: boolean; figures: { transactions: number } } | null;
        if (!s || s.final || Date.parse(s.window_start) !== start) return -1;
        return s.figures.transactions;
      };
      for (let i = 0; i < SAMPLES; i++) {
        const d = purchase();
        const start = Math.floor(d.ts / 30_000) * 30_000;
        // Include what the window already held (warm-up, earlier samples).
        const known = sse.events.map((e) => counted(e, start)).reduce((a, b) => Math.max(a, b), 0);
        const need = Math.max(known, perWindow.get(start) ?? 0) + 1;
        perWindow.set(start, need);
        const from = sse.events.length;
        const t0 = performance.timeOrigin + performance.now();
        await e2eShop.write([d]);
        try {
          await waitFor(() => sse.events.slice(from).some((e) => counted(e, start) >= need), 10_000, 'the window update');
        } catch {
          say(`sample ${i}: no update within 10 s`);
          continue;
        }
        const hit = sse.events.slice(from).find((e) => counted(e, start) >= need)!;
        delays.push(hit.receivedAt - t0);
        await sleep(150 + Math.random() * 200);
      }
      sse.close();
      await e2eShop.close();
      delays.sort((a, b) => a - b);
      const upRss = vmHwmMb(up.pid!);
      say(`commit in PostgreSQL → open-window update on /commerce/stream (${delays.length} purchases): p50 ${quantile(delays, 0.5).toFixed(1)} ms, p99 ${quantile(delays, 0.99).toFixed(1)} ms; up's peak RSS ${upRss} MB`);
      up.kill('SIGINT');
      await exited;
      printFigures('commerce', figures.map((f) => f));
      printRow('commit_to_dashboard_p50', quantile(delays, 0.5), upRss);
      printRow('commit_to_dashboard_p99', quantile(delays, 0.99), upRss);
      say(`(relay figure's peak RSS is this process: ${relayRss} MB)`);
    } finally {
      if (up.exitCode === null) up.kill('SIGKILL');
      upDir.cleanup();
    }
  } finally {
    cleanup();
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch((err: Error) => say(`could not drop ${dbName}: ${err.message}`));
  }
}

function printRow(name: string, ms: number, rss: number): void {
  process.stdout.write(`${JSON.stringify({ bench: 'commerce', name, value: Math.round(ms * 1000) / 1000, unit: 'ms', peak_rss_mb: rss })}\n`);
}
