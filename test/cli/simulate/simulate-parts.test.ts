import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { arrivalOffsets, expectedRequests } from '../../../src/cli/simulate/arrivals.js';
import { BadResponseError, classifyError, httpErrorType, RequestTimeoutError } from '../../../src/cli/simulate/errors.js';
import { parseBaseUrl } from '../../../src/cli/simulate/http-client.js';
import { latencyStats, quantileSorted } from '../../../src/cli/simulate/latency-stats.js';
import { logStamp, SimulationLog } from '../../../src/cli/simulate/log-files.js';
import { readRecommendAnswer, recommendPath } from '../../../src/cli/simulate/recommend-response.js';
import { formatProgressLine, formatSummary } from '../../../src/cli/simulate/report.js';
import { requestLogLine, type RequestRecord } from '../../../src/cli/simulate/request-record.js';
import { readUsers } from '../../../src/cli/simulate/service-check.js';
import { SimulationTally, type SimulationConfig } from '../../../src/cli/simulate/summary.js';
import { checkUserChoice, defaultUnknownUsers, parseUserRange, userChooser } from '../../../src/cli/simulate/users.js';
import { Random } from '../../../src/util/random.js';
import { tempDir } from '../../helpers/tmp.js';

describe('arrival schedule', () => {
  it('uniform: request i is intended at i / rate, and rate × duration requests fit in the duration', () => {
    assert.deepEqual([...arrivalOffsets({ rate: 50, durationMs: 1000, kind: 'uniform' })], Array.from({ length: 50 }, (_, i) => i * 20));
    for (const [rate, durationMs] of [[10, 60_000], [3, 1000], [0.5, 10_000], [7, 999], [1000, 2500], [1, 0]] as const) {
      const offsets = [...arrivalOffsets({ rate, durationMs, kind: 'uniform' })];
      // Brute force: every whole i with i / rate < duration.
      let count = 0;
      while ((count * 1000) / rate < durationMs) count++;
      assert.equal(offsets.length, count, `${rate}/s for ${durationMs} ms`);
      assert.equal(expectedRequests(rate, durationMs), count, `${rate}/s for ${durationMs} ms`);
      assert.ok(offsets.every((t, i) => t >= 0 && t < durationMs && (i === 0 || t > offsets[i - 1]!)));
    }
  });

  it('poisson: about rate × duration arrivals with exponential gaps, repeatable by seed', () => {
    const offsets = [...arrivalOffsets({ rate: 1000, durationMs: 10_000, kind: 'poisson', seed: 5 })];
    // Count ~ Poisson(10000): sd 100, so ±500 is five sd.
    assert.ok(Math.abs(offsets.length - 10_000) < 500, `${offsets.length} arrivals`);
    assert.ok(offsets.every((t, i) => t < 10_000 && (i === 0 ? t >= 0 : t >= offsets[i - 1]!)));
    const gaps = offsets.map((t, i) => t - (i === 0 ? 0 : offsets[i - 1]!));
    // Exponential gaps with mean 1 ms: P(gap > mean) = e^-1.
    const longer = gaps.filter((g) => g > 1).length / gaps.length;
    assert.ok(Math.abs(longer - Math.exp(-1)) < 0.03, `share of gaps above the mean ${longer}`);
    assert.deepEqual([...arrivalOffsets({ rate: 1000, durationMs: 10_000, kind: 'poisson', seed: 5 })], offsets);
    assert.notDeepEqual([...arrivalOffsets({ rate: 1000, durationMs: 100, kind: 'poisson', seed: 6 })], offsets.filter((t) => t < 100));
  });

  it('refuses a rate that is not a positive number', () => {
    assert.throws(() => [...arrivalOffsets({ rate: 0, durationMs: 1000, kind: 'uniform' })], /rate must be a positive number, got 0/);
    assert.throws(() => [...arrivalOffsets({ rate: Infinity, durationMs: 1000, kind: 'uniform' })], /rate/);
  });
});

describe('user choice', () => {
  const known = { min: 1, max: 1000 };
  const unknown = { min: 300_000, max: 400_000 };

  it('draws the known share from the known range and the rest from the unknown range', () => {
    const choose = userChooser({ known, unknown, existing: 0.8, seed: 3 });
    const draws = Array.from({ length: 100_000 }, choose);
    const knownDraws = draws.filter((d) => d.known);
    // Binomial sd is 0.13 %; 1 % is far outside chance.
    assert.ok(Math.abs(knownDraws.length / draws.length - 0.8) < 0.01, `${knownDraws.length} known`);
    assert.ok(knownDraws.every((d) => Number.isInteger(d.userId) && d.userId >= 1 && d.userId <= 1000));
    assert.ok(draws.filter((d) => !d.known).every((d) => d.userId >= 300_000 && d.userId <= 400_000));
    // Both ends of a range are reachable.
    assert.equal(Math.min(...knownDraws.map((d) => d.userId)), 1);
    assert.equal(Math.max(...knownDraws.map((d) => d.userId)), 1000);
    const again = userChooser({ known, unknown, existing: 0.8, seed: 3 });
    assert.deepEqual(Array.from({ length: 100 }, again), draws.slice(0, 100));
  });

  it('shares 0 and 1 give only unknown or only known users', () => {
    assert.ok(Array.from({ length: 1000 }, userChooser({ known, unknown, existing: 0, seed: 1 })).every((d) => !d.known && d.userId >= 300_000));
    assert.ok(Array.from({ length: 1000 }, userChooser({ known, unknown, existing: 1, seed: 1 })).every((d) => d.known && d.userId <= 1000));
  });

  it('parses and checks ranges with errors that name the problem', () => {
    assert.deepEqual(parseUserRange('1-138493', '--users-from'), { min: 1, max: 138_493 });
    assert.deepEqual(parseUserRange(' 5 - 5 ', '--users-from'), { min: 5, max: 5 });
    assert.throws(() => parseUserRange('10-1', '--users-from'), /--users-from: the range 10-1 is empty/);
    assert.throws(() => parseUserRange('lots', '--unknown-from'), /--unknown-from expects <min>-<max>.*"lots"/);
    assert.throws(() => checkUserChoice({ known, unknown: { min: 900, max: 2000 }, existing: 0.8 }), /unknown users 900-2000 overlap known users 1-1000/);
    assert.throws(() => checkUserChoice({ known, unknown, existing: 1.5 }), /from 0 to 1, got 1.5/);
  });

  it('puts unknown users above the known ones', () => {
    assert.deepEqual(defaultUnknownUsers({ min: 1, max: 138_493 }), { min: 300_000, max: 400_000 });
    assert.deepEqual(defaultUnknownUsers({ min: 1, max: 350_000 }), { min: 350_001, max: 450_000 });
  });

  it('reads the service\'s user range, ignoring one that is not a range', () => {
    assert.deepEqual(readUsers({ min: 1, max: 610, count: 610 }), { min: 1, max: 610, count: 610 });
    assert.equal(readUsers({ min: 10, max: 1 }), null);
    assert.equal(readUsers({ min: '1', max: 2 }), null);
    assert.equal(readUsers(undefined), null);
  });
});

describe('latency statistics', () => {
  it('match hand-computed values (linear interpolation, sample stdev)', () => {
    const s = latencyStats([10, 1, 9, 2, 8, 3, 7, 4, 6, 5])!;
    assert.equal(s.min, 1);
    assert.equal(s.max, 10);
    assert.equal(s.mean, 5.5);
    assert.equal(s.median, 5.5);
    assert.equal(s.p50, 5.5);
    assert.ok(Math.abs(s.p95 - 9.55) < 1e-12); // rank 0.95 × 9 = 8.55: 9 + 0.55 × (10 − 9)
    assert.ok(Math.abs(s.p99 - 9.91) < 1e-12);
    assert.ok(Math.abs(s.stdev - Math.sqrt(82.5 / 9)) < 1e-12); // Σ(x − 5.5)² = 82.5
    assert.equal(quantileSorted([15, 20, 35, 40, 50], 0.95), 48); // numpy.percentile(…, 95)
    assert.equal(quantileSorted([15, 20, 35, 40, 50], 0.5), 35);
    assert.deepEqual(latencyStats([42]), { count: 1, min: 42, max: 42, mean: 42, median: 42, p50: 42, p95: 42, p99: 42, stdev: 0 });
    assert.equal(latencyStats([]), null);
  });

  it('agree with a brute-force computation on random values', () => {
    const random = new Random(9);
    const values = Array.from({ length: 997 }, () => Math.exp(random.normal(4, 1)));
    const sorted = [...values].sort((a, b) => a - b);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, x) => a + (x - mean) ** 2, 0) / (values.length - 1);
    // Type 7 by its definition: the value at fractional rank q(n − 1).
    const q = (p: number) => {
      const h = p * (sorted.length - 1);
      return sorted[Math.floor(h)]! + (h - Math.floor(h)) * (sorted[Math.ceil(h)]! - sorted[Math.floor(h)]!);
    };
    const s = latencyStats(values)!;
    assert.equal(s.min, sorted[0]);
    assert.equal(s.max, sorted.at(-1));
    assert.equal(s.median, sorted[498]);
    for (const [got, want] of [[s.mean, mean], [s.stdev, Math.sqrt(variance)], [s.p95, q(0.95)], [s.p99, q(0.99)]]) assert.ok(Math.abs(got! - want!) < 1e-9 * want!, `${got} vs ${want}`);
  });
});

describe('error types and answers', () => {
  it('classifies failures into the summary\'s types', () => {
    assert.equal(httpErrorType(503), 'HTTP 503');
    assert.equal(classifyError(new RequestTimeoutError(30_000)), 'Timeout');
    assert.equal(classifyError(new BadResponseError('x')), 'Bad response');
    assert.equal(classifyError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
    assert.equal(classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'ECONNRESET');
    assert.equal(classifyError(new TypeError('boom')), 'TypeError');
    assert.equal(classifyError('weird'), 'Error');
  });

  it('reads a recommendations answer and rejects other bodies', () => {
    assert.equal(recommendPath(12345, 10), '/recommendations/recommend/12345?n=10');
    assert.deepEqual(readRecommendAnswer({ user_id: 1, recommendations: [{}, {}], source: 'cache', model_version: 'v1' }), { recommendations: 2, source: 'cache', modelVersion: 'v1' });
    assert.deepEqual(readRecommendAnswer({ recommendations: [] }), { recommendations: 0 });
    assert.equal(readRecommendAnswer({ detail: 'no' }), null);
    assert.equal(readRecommendAnswer([1, 2]), null);
    assert.equal(readRecommendAnswer(null), null);
  });

  it('takes http and https base URLs only', () => {
    assert.equal(parseBaseUrl('http://api:8000').href, 'http://api:8000/');
    assert.equal(parseBaseUrl('https://h/prefix?x=1').href, 'https://h/prefix/');
    assert.throws(() => parseBaseUrl('ftp://h'), /http:\/\/ or https:\/\//);
    assert.throws(() => parseBaseUrl('localhost 8000'), /not a URL: "localhost 8000"/);
  });
});

function record(over: Partial<RequestRecord>): RequestRecord {
  return { userId: 1, known: true, n: 10, endpoint: '/recommendations/recommend/1', scheduledAt: 0, completedAt: 0, latencyMs: 0, sendDelayMs: 0, status: 200, success: true, source: 'model', ...over };
}

const CONFIG: SimulationConfig = {
  baseUrl: 'http://localhost:8000',
  rate: 10,
  durationMs: 60_000,
  n: 10,
  existing: 0.8,
  arrivals: 'uniform',
  seed: 1,
  known: { min: 1, max: 138_493 },
  knownFrom: 'default',
  unknown: { min: 300_000, max: 400_000 },
  timeoutMs: 30_000,
  concurrency: 256,
};

describe('summary and report', () => {
  it('counts requests, latencies, sources and errors into the old summary shape', () => {
    const tally = new SimulationTally();
    for (let i = 1; i <= 10; i++) tally.add(record({ latencyMs: i * 100, sendDelayMs: i === 10 ? 101 : 100, known: i <= 7, source: i <= 5 ? 'model' : i <= 7 ? 'cache' : 'fallback_popular' }));
    tally.add(record({ success: false, status: 503, error: 'HTTP 503', latencyMs: 5 }));
    tally.add(record({ success: false, status: null, error: 'Timeout', known: false, latencyMs: 30_000 }));
    tally.add(record({ success: false, status: 503, error: 'HTTP 503', latencyMs: 5 }));
    const s = tally.summary(CONFIG, { startedAt: Date.UTC(2025, 11, 8, 10, 30), endedAt: Date.UTC(2025, 11, 8, 10, 30, 2), interrupted: false, modelVersion: 'v1', logFile: null });
    assert.deepEqual(s.requests, { total: 13, successful: 10, failed: 3, success_rate: 76.92, actual_rate: 6.5, known_users: 9, unknown_users: 4, sent_late: 1 });
    // Successful latencies 0.1 … 1.0 s: median 0.55, p95 at rank 8.55 → 0.955, sample stdev of 100..1000 ms.
    assert.deepEqual(s.latency, { min: 0.1, max: 1, mean: 0.55, median: 0.55, p50: 0.55, p95: 0.955, p99: 0.991, stdev: Math.round(Math.sqrt(825_000 / 9) * 1000) / 1e6 });
    assert.deepEqual(s.errors, { 'HTTP 503': 2, Timeout: 1 });
    assert.deepEqual(s.sources, { model: 5, cache: 2, fallback_popular: 3 });
    assert.deepEqual(s.sources_by_user, { known: { model: 5, cache: 2, fallback_popular: 0 }, unknown: { model: 0, cache: 0, fallback_popular: 3 } });
    assert.deepEqual(s.configuration, { rate: 10, duration: 60, api_base_url: 'http://localhost:8000', n: 10, existing_ratio: 0.8, arrivals: 'uniform', seed: 1, known_users: { min: 1, max: 138_493, from: 'default' }, unknown_users: { min: 300_000, max: 400_000 }, timeout: 30, concurrency: 256 });
    assert.deepEqual(s.execution, { start_time: '2025-12-08T10:30:00.000Z', end_time: '2025-12-08T10:30:02.000Z', actual_duration: 2, interrupted: false });
    const text = formatSummary(s);
    for (const expected of [/Total:\s+13/, /Successful:\s+10 \(76\.9%\)/, /Failed:\s+3/, /P95:\s+955 ms/, /Median:\s+550 ms/, /HTTP 503:\s+2/, /Timeout:\s+1/, /Sent late:\s+1 \(over 100 ms behind schedule/, /fallback_popular:\s+3 \/ 0 \/ 3/]) assert.match(text, expected);
  });

  it('gives null latencies when nothing succeeded', () => {
    const tally = new SimulationTally();
    tally.add(record({ success: false, error: 'ECONNREFUSED', status: null }));
    const s = tally.summary(CONFIG, { startedAt: 0, endedAt: 1000, interrupted: true, modelVersion: null, logFile: null });
    assert.equal(s.latency.p95, null);
    assert.equal(s.requests.success_rate, 0);
    assert.match(formatSummary(s), /P95:\s+-/);
  });

  it('prints the live line the old simulator printed', () => {
    const base = { total: 602, successful: 593, successRate: 98.5, avgLatencyMs: 123.2, p95LatencyMs: 245.4, elapsedMs: 60_000, fraction: 1, inFlight: 0, queued: 0, phase: 'draining' as const };
    assert.equal(formatProgressLine(base), '[100.0%] Requests: 602 | Success: 98.5% | Avg Latency: 123ms | P95: 245ms');
    assert.equal(formatProgressLine({ ...base, fraction: 0.5, inFlight: 3, queued: 2, phase: 'sending' }), '[ 50.0%] Requests: 602 | Success: 98.5% | Avg Latency: 123ms | P95: 245ms | In flight: 3 (+2 queued)');
  });

  it('writes the old JSONL line shape', () => {
    const line = requestLogLine(record({ userId: 12345, endpoint: '/recommendations/recommend/12345', latencyMs: 123.4567, scheduledAt: Date.UTC(2025, 11, 8, 10, 30, 45), completedAt: Date.UTC(2025, 11, 8, 10, 30, 45, 123), sendDelayMs: 2.5, recommendations: 10 }));
    assert.deepEqual(line, {
      timestamp: '2025-12-08T10:30:45.123Z',
      request: { endpoint: '/recommendations/recommend/12345', params: { n: 10 }, user_id: 12345, n: 10, known_user: true, scheduled_at: '2025-12-08T10:30:45.000Z', send_delay: 0.0025 },
      response: { success: true, latency: 0.123457, status: 200, source: 'model', recommendations: 10 },
    });
  });
});

describe('simulation log files', () => {
  it('names files by local time and never overwrites a run from the same second', async () => {
    assert.equal(logStamp(new Date(2025, 11, 8, 10, 3, 7)), '20251208_100307');
    const { dir, cleanup } = tempDir();
    try {
      const when = new Date(2025, 11, 8, 10, 30, 0);
      const first = new SimulationLog(`${dir}/logs`, when);
      const second = new SimulationLog(`${dir}/logs`, when);
      assert.equal(first.jsonlPath, `${dir}/logs/traffic_simulation_20251208_103000.jsonl`);
      assert.equal(second.jsonlPath, `${dir}/logs/traffic_simulation_20251208_103000_2.jsonl`);
      assert.equal(second.summaryPath, `${dir}/logs/traffic_simulation_20251208_103000_2.json`);
      first.write({ a: 1 });
      first.write({ b: 2 });
      await first.close();
      await second.close();
      assert.deepEqual(readFileSync(first.jsonlPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown), [{ a: 1 }, { b: 2 }]);
      assert.equal(readFileSync(second.jsonlPath, 'utf8'), '');
    } finally {
      cleanup();
    }
  });
});
