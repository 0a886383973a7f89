/**
 * `npm run bench -- commerce`: the outbox relay and commit → dashboard delay, on the real
 * PostgreSQL (a database of its own, dropped after).
 * 1. Relay throughput: the shop's outbox prefilled with BENCH_OUTBOX_ROWS rows (not timed), then,
 *    BENCH_REPEATS times (default 3; medians reported): a bare one-shot `SELECT` of the same rows
 *    in the relay's order with pg (the baseline), a keyset-paginated SELECT in the relay's page
 *    size (an extra figure), and the relay moving them into a fresh embedded log (each row's
 *    record to its topic + the position, one log transaction per page) → ratio.
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
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** The relay's first page size (OutboxRelay's default batch). */
const PAGE = 2000;
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

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('VACUUM ANALYZE bench_shop.outbox');
    // The rows in the relay's order: the table's xid8 then id (`o.` so ORDER BY does not take
    // the text output column `xid`: that sorted strings, on disk).
    const columns = 'o.id, o.topic, o.customer_id, o.payload, o.created_at, o.xid::text AS xid';
    // Baseline: one bare SELECT of every row.
    const select = async () => {
      const t = process.hrtime.bigint();
      const all = await c.query(`SELECT ${columns} FROM bench_shop.outbox o ORDER BY o.xid, o.id`);
      if (all.rowCount !== rows) throw new Error(`selected ${all.rowCount} of ${rows} rows`);
      return rows / seconds(t);
    };
    // Extra: the same rows a page at a time, as the relay reads them (keyset pagination).
    const paged = async () => {
      const t = process.hrtime.bigint();
      let read = 0;
      let after = { xid: '0', id: 0 };
      for (;;) {
        const page = await c.query<{ id: string; xid: string }>(
          `SELECT ${columns} FROM bench_shop.outbox o WHERE (o.xid, o.id) > ($1::xid8, $2::bigint) ORDER BY o.xid, o.id LIMIT ${PAGE}`,
          [after.xid, after.id],
        );
        if (page.rowCount === 0) break;
        read += page.rowCount!;
        const last = page.rows[page.rows.length - 1]!;
        after = { xid: last.xid, id: Number(last.id) };
      }
      if (read !== rows) throw new Error(`paged ${read} of ${rows} rows`);
      return rows / seconds(t);
    };
    // The relay, into a fresh log.
    const relayed = async () => {
      const logDir = tempDir('bench-commerce-log-');
      const log = openEmbeddedLog({ dataDir: logDir.dir });
      try {
        const relay = new OutboxRelay(shop, log, { exitWhenIdle: true });
        const t = process.hrtime.bigint();
        await relay.run(new AbortController().signal);
        const rate = rows / seconds(t);
        if (relay.status.relayed !== rows) throw new Error(`relayed ${relay.status.relayed} of ${rows} rows`);
        return rate;
      } finally {
        await log.close();
        logDir.cleanup();
      }
    };
    const runs: { select: number; paged: number; relay: number }[] = [];
    for (let r = 0; r < REPEATS; r++) {
      // The order turns each run, so none of the three always follows another's garbage.
      const run: Partial<Record<'select' | 'paged' | 'relay', number>> = {};
      const order = (['select', 'paged', 'relay'] as const).map((_, i, all) => all[(i + r) % all.length]!);
      for (const part of order) run[part] = await { select, paged, relay: relayed }[part]();
      const x = run as { select: number; paged: number; relay: number };
      runs.push(x);
      const f = (v: number) => Math.round(v).toLocaleString('en-US');
      say(`run ${r + 1} (${order.join(', ')}): bare SELECT ${f(x.select)} rows/s · paginated SELECT (${PAGE} a page) ${f(x.paged)} rows/s · relay PostgreSQL → embedded log ${f(x.relay)} events/s (ratio ${(x.relay / x.select).toFixed(3)})`);
    }
    await c.end();
    await shop.close();
    const ratio = median(runs.map((x) => x.relay / x.select));
    say(`medians of ${REPEATS}: relay ${Math.round(median(runs.map((x) => x.relay))).toLocaleString('en-US')} events/s, ratio to the bare SELECT ${ratio.toFixed(3)}, to the paginated SELECT ${median(runs.map((x) => x.relay / x.paged)).toFixed(3)} (each event once, in its topic; position committed per page)`);
    figures.push({ name: 'relay_events_per_s', value: median(runs.map((x) => x.relay)), unit: 'events/s', baseline: median(runs.map((x) => x.select)), ratio });
    figures.push({ name: 'relay_vs_paginated_select', value: median(runs.map((x) => x.relay)), unit: 'events/s', baseline: median(runs.map((x) => x.paged)), ratio: median(runs.map((x) => x.relay / x.paged)) });
    const relayRss = peakRssMb();

    if (SAMPLES === 0) {
      // BENCH_E2E_SAMPLES=0: the relay figures alone.
      printFigures('commerce', figures);
      return;
    }

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
