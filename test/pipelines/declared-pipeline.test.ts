/**
 * A pipeline declared only in test/ (taps-declaration.ts) and registered at run time gets,
 * with no edit in server/, lake/ or cli/: lake views, `streamrec sql` views, the generic
 * `/pipelines/<name>/…` routes and an SSE stream — and the CLI runs it when the declaration
 * module is named in STREAMREC_PIPELINES_MODULE.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { lakeViews, openPipeline, openPipelinesLake, pipelineNames, registerPipeline } from '../../src/pipelines/registry.js';
import type { PipelineHealth, PipelineHistory, PipelineSummary } from '../../src/pipelines/pipeline-result.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { sseConnect, waitFor } from '../helpers/sse-client.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';
import tapsDeclaration, { tapCodec, type Tap, type TapsResult } from './taps-declaration.js';

const T0 = Date.UTC(2025, 10, 10, 12);
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const MODULE = fileURLToPath(new URL('./taps-declaration.js', import.meta.url));

/** 5 cheers and 1 hate taps in each of the first 3 bins, then one click 10 s on that closes them. */
const clicks: Tap[] = [
  ...[0, 1, 2].flatMap((bin) => Array.from({ length: 6 }, (_, i): Tap => ({ type: i === 0 ? 'hate' : 'cheer', ts: T0 + bin * 2000 + i * 100 }))),
  { type: 'cheer', ts: T0 + 10_000 },
];

function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a pipeline declared outside src/', () => {
  let log: EventLog;
  let dir: string;
  let cleanup: () => void;

  before(async () => {
    registerPipeline(tapsDeclaration);
    ({ dir, cleanup } = tempDir());
    log = openEmbeddedLog({ dataDir: dir });
    await log.ensureTopic('taps', { partitions: 2 });
    await log.producer().send('taps', clicks.map((c) => ({ key: c.type, value: tapCodec.encode(c), timestamp: c.ts })));
  });
  after(async () => {
    await log.close();
    cleanup();
  });

  it('is listed beside ratings, with its lake view', () => {
    assert.deepEqual(pipelineNames(), ['ratings', 'clicks', 'commerce', 'taps']);
    assert.deepEqual(Object.keys(lakeViews()).sort(), ['clicks_agg', 'clicks_raw', 'commerce_agg', 'commerce_raw', 'ratings_agg', 'ratings_raw', 'taps_bins']);
    assert.throws(() => registerPipeline(tapsDeclaration), /already registered/);
  });

  it('runs through the registry into its output topic and its lake table, which the default views query', async () => {
    const pipeline = await openPipeline('taps', { dataDir: dir, log });
    const lake = pipeline.startLake(new AbortController().signal);
    const status = await runPipeline(pipeline.spec, { log, exitWhenIdle: true });
    await lake.finish();
    assert.equal(status.processed, clicks.length);
    const query = await openPipelinesLake(dir);
    try {
      const rows = await query.query("SELECT window_start, count, cheers, hate FROM taps_bins WHERE window_type = 'bins_2s' ORDER BY window_start");
      assert.deepEqual(rows.slice(0, 3).map((r) => [r.count, r.cheers, r.hate]), [[6, 5, 1], [6, 5, 1], [6, 5, 1]]);
      assert.equal(rows.reduce((s, r) => s + Number(r.count), 0), clicks.length, 'every click in exactly one final bin');
      // Ratings' views are there too (empty).
      assert.deepEqual(await query.query('SELECT count(*) AS n FROM ratings_raw'), [{ n: 0 }]);
    } finally {
      query.close();
    }
  });

  describe('served', () => {
    let server: StreamrecServer;
    let base: string;
    let get: Awaited<ReturnType<typeof startTestServer>>['get'];
    before(async () => {
      ({ server, base, get } = await startTestServer({ log, heartbeatMs: 200, healthEveryMs: 100 }));
    });
    after(async () => {
      await server.close();
    });

    it('has summary, history and health routes under /pipelines/taps/', async () => {
      await waitFor(() => (server.pipelines.get('taps')?.view.resultsReceived ?? 0) > 0, 5000, 'results followed');
      const summary = await get('/pipelines/taps/summary');
      assert.equal(summary.status, 200);
      const body = summary.body as unknown as PipelineSummary<TapsResult>;
      assert.equal(body.pipeline, 'taps');
      assert.deepEqual(Object.keys(body.windows), ['bins_2s']);
      assert.equal(body.windows.bins_2s!.window_type, 'bins_2s');

      const history = (await get('/pipelines/taps/history?window=bins_2s&limit=2')).body as unknown as PipelineHistory<TapsResult>;
      assert.equal(history.window, 'bins_2s');
      assert.equal(history.items.length, 2);
      assert.ok(history.items.every((r) => r.final), "finals only");
      assert.equal((await get('/pipelines/taps/history?window=nope')).status, 400, 'window names come from the declaration');

      await waitFor(() => server.pipelines.get('taps')!.view.health().status !== 'no_data', 5000, 'health sampled');
      const health = (await get('/pipelines/taps/health')).body as unknown as PipelineHealth;
      assert.equal(health.events_processed, clicks.length, "the pipeline group's committed offsets");
      assert.equal(health.consumer_lag, 0);
      assert.equal(health.dead_letters_total, 0);
      assert.ok(health.watermark !== null);

      // Ratings has the same routes (no data yet) beside its seed /metrics/*.
      assert.equal((await get('/pipelines/ratings/summary')).status, 404);
      assert.equal((await get('/metrics/health')).status, 200);
    });

    it('streams results over SSE with ids and Last-Event-ID replay', async () => {
      const first = sseConnect(`${base}/pipelines/taps/stream`);
      try {
        await waitFor(() => first.events.some((e) => e.event === 'snapshot'), 5000, 'snapshot');
        const snapshot = JSON.parse(first.events.find((e) => e.event === 'snapshot')!.data) as { summary: PipelineSummary; history: TapsResult[] };
        assert.equal(snapshot.summary.pipeline, 'taps');
        assert.ok(snapshot.history.length >= 3);

        const late: TapsResult = { ...snapshot.history[0]!, window_start: '2025-11-10T12:00:20.000Z', window_end: '2025-11-10T12:00:22.000Z', final: false };
        await log.producer().send('taps.bins', [{ key: 'bins_2s', value: JSON.stringify(late) }]);
        await waitFor(() => first.events.some((e) => e.event === 'result'), 5000, 'result event');
        const result = first.events.find((e) => e.event === 'result')!;
        assert.deepEqual(JSON.parse(result.data), late);
        assert.match(result.id!, /^[0-9a-f]+-[1-9]\d*$/, 'ids: <run>-<n>');
        await waitFor(() => first.events.some((e) => e.event === 'health'), 5000, 'health event');

        // Reconnecting after the snapshot's id replays what came after it.
        const snapshotId = first.events.find((e) => e.event === 'snapshot')!.id!;
        const again = sseConnect(`${base}/pipelines/taps/stream`, { 'Last-Event-ID': snapshotId });
        try {
          await waitFor(() => again.events.some((e) => e.event === 'result'), 5000, 'replayed result');
          assert.equal(again.events.find((e) => e.event === 'result')!.id, result.id);
          assert.ok(!again.events.some((e) => e.event === 'snapshot'), 'a replay, not a new snapshot');
        } finally {
          again.close();
        }
      } finally {
        first.close();
      }
    });
  });

  it('reaches the CLI through STREAMREC_PIPELINES_MODULE: generate, process and sql', () => {
    const { dir: cliDir, cleanup: cliCleanup } = tempDir();
    try {
      const env = { STREAMREC_DATA_DIR: cliDir, STREAMREC_PIPELINES_MODULE: MODULE };
      const help = cli(['generate', '--help'], env);
      assert.match(help.stdout, /\n\s+taps\b/);
      const gen = cli(['generate', 'taps', '--from', '2025-11-10T12:00:00Z', '--span', '20s', '--count', '400', '--seed', '3'], env);
      assert.equal(gen.code, 0, gen.stderr);
      assert.match(gen.stderr, /400 sent/);
      const processed = cli(['process', 'taps', '--exit-when-idle', '--idle-timeout', '200ms'], env);
      assert.equal(processed.code, 0, processed.stderr);
      assert.match(processed.stderr, /taps: 400 events/);
      const sql = cli(['sql', "SELECT sum(count) AS n, count(*) AS bins FROM taps_bins WHERE window_type = 'bins_2s'", '--json'], env);
      assert.equal(sql.code, 0, sql.stderr);
      assert.deepEqual(JSON.parse(sql.stdout), { n: 400, bins: 10 });
      assert.match(cli(['sql', '--help'], env).stdout, /taps_bins\s+window_start, window_end, count, cheers, hate, window_type/);
      // Without the module, the CLI knows only its built-in pipelines.
      assert.match(cli(['process', 'taps'], { STREAMREC_DATA_DIR: cliDir }).stderr, /unknown pipeline: taps \(pipelines: ratings, clicks, commerce\)/);
    } finally {
      cliCleanup();
    }
  });
});
