import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestRecord } from '../../../src/cli/simulate/request-record.js';
import { runSimulation } from '../../../src/cli/simulate/runner.js';
import type { SimulationConfig } from '../../../src/cli/simulate/summary.js';
import { deadUrl, startFakeApi, type Behaviour } from './fake-api.js';

function config(base: string, over: Partial<SimulationConfig> = {}): SimulationConfig {
  return {
    baseUrl: base,
    rate: 50,
    durationMs: 1000,
    n: 10,
    existing: 0.8,
    arrivals: 'uniform',
    seed: 11,
    known: { min: 1, max: 1000 },
    knownFrom: 'flag',
    unknown: { min: 300_000, max: 400_000 },
    timeoutMs: 5000,
    concurrency: 256,
    ...over,
  };
}

function summarise(run: Awaited<ReturnType<typeof runSimulation>>, cfg: SimulationConfig) {
  return run.tally.summary(cfg, { startedAt: run.startedAt, endedAt: run.endedAt, interrupted: run.interrupted, modelVersion: null, logFile: null });
}

describe('simulation runner against a live HTTP server', () => {
  it('sends rate × duration requests, known and unknown users in the asked share, and counts what the server answered', async () => {
    // Known users are answered from the model or the cache, unknown ones from the popular fallback.
    const api = await startFakeApi({ behave: (userId) => ({ kind: 'ok', source: userId >= 300_000 ? 'fallback_popular' : userId % 2 === 0 ? 'cache' : 'model' }) });
    try {
      const cfg = config(api.base, { rate: 200 });
      const records: RequestRecord[] = [];
      const run = await runSimulation({ config: cfg, onRecord: (r) => records.push(r) });
      const s = summarise(run, cfg);
      assert.equal(s.requests.total, 200); // uniform: exactly 200/s × 1 s
      assert.equal(api.seen.length, 200);
      assert.equal(s.requests.successful, 200);
      assert.ok(api.seen.every((r) => r.n === 10));
      // The users the server saw are the users the simulator recorded.
      assert.deepEqual(api.seen.map((r) => r.userId).sort(), records.map((r) => r.userId).sort());
      const known = records.filter((r) => r.known);
      assert.ok(known.every((r) => r.userId >= 1 && r.userId <= 1000));
      assert.ok(records.filter((r) => !r.known).every((r) => r.userId >= 300_000 && r.userId <= 400_000));
      // Binomial(200, 0.8): sd 2.8 %; ±12 % is over four sd (and the seed makes it repeatable anyway).
      assert.ok(Math.abs(known.length / 200 - 0.8) < 0.12, `${known.length} known`);
      assert.equal(s.requests.known_users, known.length);
      // Sources: compare with what the server chose for each user.
      const bySource = (source: string) => api.seen.filter((r) => (r.behaviour as { source: string }).source === source).length;
      assert.deepEqual(s.sources, { model: bySource('model'), cache: bySource('cache'), fallback_popular: bySource('fallback_popular') });
      assert.equal(s.sources_by_user.unknown.fallback_popular, 200 - known.length);
      // Sanity only: a 1 s run does not take 10 s, and latencies are positive.
      assert.ok(s.execution.actual_duration >= 0.99 && s.execution.actual_duration < 10, `${s.execution.actual_duration} s`);
      assert.ok(records.every((r) => r.latencyMs > 0 && r.completedAt >= r.scheduledAt));
      assert.deepEqual(s.errors, {});
    } finally {
      await api.close();
    }
  });

  it('measures latency from the intended send time: requests queued behind a 300 ms stall include it', async () => {
    // One request at a time; the first answer takes 300 ms, the rest are immediate.
    const api = await startFakeApi({ behave: (_user, index) => ({ kind: 'ok', source: 'model', delayMs: index === 0 ? 300 : 0 }) });
    try {
      const cfg = config(api.base, { rate: 50, durationMs: 400, concurrency: 1 });
      const records: RequestRecord[] = [];
      const run = await runSimulation({ config: cfg, onRecord: (r) => records.push(r) });
      assert.equal(records.length, 20);
      records.sort((a, b) => a.scheduledAt - b.scheduledAt);
      for (const [i, r] of records.entries()) {
        const intended = r.scheduledAt - run.startedAt;
        assert.ok(Math.abs(intended - i * 20) < 1e-6, `request ${i} intended at ${intended} ms`);
        // Request i (intended at 20·i ms) could not be sent before the stall ended at ≥ 300 ms.
        if (intended < 300) {
          assert.ok(r.latencyMs >= 300 - intended - 2, `request ${i}: latency ${r.latencyMs} ms, intended at ${intended} ms`);
          if (i > 0) assert.ok(r.sendDelayMs >= 300 - intended - 2, `request ${i} waited ${r.sendDelayMs} ms to be sent`);
        }
      }
      // Timed from the actual send, the queued requests would look instant; here the median shows the stall.
      const s = summarise(run, cfg);
      assert.ok(s.latency.median! >= 0.1, `median ${s.latency.median} s`);
      // Requests 1-9 (intended before 200 ms) waited over 100 ms for the one connection.
      assert.ok(s.requests.sent_late >= 9, `${s.requests.sent_late} sent late`);
    } finally {
      await api.close();
    }
  });

  it('counts failures by type: HTTP status, Timeout, bad body', async () => {
    const behave = (userId: number): Behaviour =>
      userId % 5 === 0 ? { kind: 'status', status: 503 } : userId % 7 === 0 ? { kind: 'hang' } : userId % 11 === 0 ? { kind: 'not-json' } : { kind: 'ok', source: 'model' };
    const api = await startFakeApi({ behave });
    try {
      const cfg = config(api.base, { rate: 100, durationMs: 1000, timeoutMs: 300, existing: 1 });
      const run = await runSimulation({ config: cfg });
      const s = summarise(run, cfg);
      const did = (kind: Behaviour['kind']) => api.seen.filter((r) => r.behaviour.kind === kind).length;
      assert.equal(s.requests.total, 100);
      const expected: Record<string, number> = {};
      if (did('status')) expected['HTTP 503'] = did('status');
      if (did('hang')) expected.Timeout = did('hang');
      if (did('not-json')) expected['Bad response'] = did('not-json');
      assert.ok(did('status') > 0 && did('hang') > 0 && did('not-json') > 0, 'the seed exercises every failure');
      assert.deepEqual({ ...s.errors }, expected);
      assert.equal(s.requests.failed, did('status') + did('hang') + did('not-json'));
      assert.equal(s.requests.successful, did('ok'));
    } finally {
      await api.close();
    }
  });

  it('counts refused connections when nothing listens', async () => {
    const cfg = config(await deadUrl(), { rate: 20, durationMs: 500 });
    const run = await runSimulation({ config: cfg });
    const s = summarise(run, cfg);
    assert.equal(s.requests.total, 10);
    assert.deepEqual(s.errors, { ECONNREFUSED: 10 });
    assert.equal(s.latency.mean, null);
  });

  it('stops sending on abort, still waits for the requests in flight and reports them', async () => {
    const api = await startFakeApi({ behave: () => ({ kind: 'ok', source: 'model', delayMs: 100 }) });
    try {
      const cfg = config(api.base, { rate: 50, durationMs: 20_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const run = await runSimulation({ config: cfg, signal: controller.signal });
      const s = summarise(run, cfg);
      assert.equal(run.interrupted, true);
      // Everything sent was answered and counted; nothing was sent after the abort.
      assert.equal(s.requests.total, run.sent);
      assert.equal(api.seen.length, run.sent);
      assert.equal(s.requests.successful, run.sent);
      assert.ok(run.sent > 0 && run.sent < 1000, `${run.sent} sent`);
    } finally {
      await api.close();
    }
  });

  it('repeats the same users with the same seed, whatever the arrival process', async () => {
    const api = await startFakeApi();
    try {
      const users = async (arrivals: 'uniform' | 'poisson') => {
        const records: RequestRecord[] = [];
        await runSimulation({ config: config(api.base, { rate: 100, durationMs: 300, arrivals, concurrency: 1 }), onRecord: (r) => records.push(r) });
        return records.map((r) => r.userId);
      };
      const uniform = await users('uniform');
      const poisson = await users('poisson');
      assert.deepEqual(await users('uniform'), uniform);
      const common = Math.min(uniform.length, poisson.length);
      assert.ok(common > 5);
      assert.deepEqual(poisson.slice(0, common), uniform.slice(0, common));
    } finally {
      await api.close();
    }
  });
});
