import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { deadUrl, startFakeApi } from './fake-api.js';

const BIN = resolve(import.meta.dirname, '../../../src/cli/main.js');

/** Runs the CLI without blocking this process (the fake API lives here and must keep answering). */
function runCli(args: string[], options: { interruptWhen?: () => boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    let poll: NodeJS.Timeout | undefined;
    if (options.interruptWhen) {
      poll = setInterval(() => {
        if (options.interruptWhen!()) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 50);
    }
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(killer);
      clearInterval(poll);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

interface Summary {
  configuration: Record<string, unknown> & { known_users: { min: number; max: number; from: string } };
  execution: Record<string, unknown> & { interrupted: boolean };
  requests: Record<string, number>;
  latency: Record<string, number | null>;
  errors: Record<string, number>;
  sources: Record<string, number>;
  log_file: string;
}

function onlyFile(dir: string, ext: string): string {
  const files = readdirSync(dir).filter((f) => f.endsWith(ext));
  assert.equal(files.length, 1, `one ${ext} file in ${dir}: ${files.join(', ')}`);
  return join(dir, files[0]!);
}

describe('streamrec simulate', () => {
  it('runs against the API, prints the summary and writes the JSONL log and the summary JSON beside it', async () => {
    const api = await startFakeApi({ users: { min: 1, max: 500, count: 500 }, behave: (u) => (u % 10 === 0 ? { kind: 'status', status: 503 } : { kind: 'ok', source: u >= 300_000 ? 'fallback_popular' : 'model' }) });
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCli(['simulate', '--url', api.base, '--rate', '50', '--duration', '1s', '--logs-dir', dir, '--seed', '3']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /API available \(health latency: \d+ms\), model version: v-test/);
      assert.match(r.stderr, /80% known 1-500 \(as the service reports\)/);
      assert.match(r.stderr, /\[100\.0%\] Requests: 50 \| Success: [\d.]+% \| Avg Latency: \d+ms \| P95: \d+ms/);
      for (const section of [/Requests:/, /Total:\s+50\n/, /Latency/, /P95:\s+\d+ ms/, /Sources/, /Errors:/]) assert.match(r.stdout, section);

      const lines = readFileSync(onlyFile(dir, '.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
      assert.equal(lines.length, 50);
      for (const line of lines) {
        assert.deepEqual(Object.keys(line).sort(), ['request', 'response', 'timestamp']);
        assert.ok(!Number.isNaN(Date.parse(line.timestamp as unknown as string)));
        const { request, response } = line as { request: Record<string, unknown>; response: Record<string, unknown> };
        assert.equal(request.endpoint, `/recommendations/recommend/${request.user_id}`);
        assert.deepEqual(request.params, { n: 10 });
        assert.equal(request.n, 10);
        assert.equal(typeof response.latency, 'number');
        assert.equal(response.success, response.status === 200);
        if (request.known_user) assert.ok((request.user_id as number) >= 1 && (request.user_id as number) <= 500);
        else assert.ok((request.user_id as number) >= 300_000);
      }
      const failedUsers = lines.filter((l) => l.response!.success === false).map((l) => l.request!.user_id as number);
      assert.ok(failedUsers.every((u) => u % 10 === 0));

      const summary = JSON.parse(readFileSync(onlyFile(dir, '.json'), 'utf8')) as Summary;
      for (const key of ['configuration', 'execution', 'requests', 'latency', 'errors']) assert.ok(key in summary, key);
      assert.deepEqual(Object.keys(summary.requests).slice(0, 5), ['total', 'successful', 'failed', 'success_rate', 'actual_rate']);
      assert.deepEqual(Object.keys(summary.latency), ['min', 'max', 'mean', 'median', 'p50', 'p95', 'p99', 'stdev']);
      assert.equal(summary.requests.total, 50);
      assert.equal(summary.requests.failed, failedUsers.length);
      assert.deepEqual(summary.errors, failedUsers.length > 0 ? { 'HTTP 503': failedUsers.length } : {});
      assert.equal(summary.configuration.rate, 50);
      assert.equal(summary.configuration.duration, 1);
      assert.equal(summary.configuration.api_base_url, api.base);
      assert.deepEqual(summary.configuration.known_users, { min: 1, max: 500, from: 'service' });
      assert.equal(summary.sources.fallback_popular, lines.filter((l) => l.response!.source === 'fallback_popular').length);
      assert.equal(summary.log_file, onlyFile(dir, '.jsonl'));
      // Latencies in the file agree with the summary: brute-force min and max of the successful ones.
      const ok = lines.filter((l) => l.response!.success === true).map((l) => l.response!.latency as number);
      assert.equal(summary.latency.min, Math.min(...ok));
      assert.equal(summary.latency.max, Math.max(...ok));
    } finally {
      await api.close();
      cleanup();
    }
  });

  it('--json prints the summary JSON; logs default to <data-dir>/logs; --users-from overrides the service', async () => {
    const api = await startFakeApi({ users: { min: 1, max: 500, count: 500 } });
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCli(['simulate', '--url', api.base, '--rate', '20', '--duration', '500ms', '--data-dir', dir, '--json', '--users-from', '1000-2000', '--existing', '1']);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as Summary;
      assert.equal(summary.requests.total, 10);
      assert.deepEqual(summary.configuration.known_users, { min: 1000, max: 2000, from: 'flag' });
      assert.ok(api.seen.every((s) => s.userId >= 1000 && s.userId <= 2000));
      assert.ok(existsSync(summary.log_file) && summary.log_file.startsWith(join(dir, 'logs')));
    } finally {
      await api.close();
      cleanup();
    }
  });

  it('Ctrl-C stops sending, waits for the requests in flight and still writes the summary', async () => {
    const api = await startFakeApi({ behave: () => ({ kind: 'ok', source: 'model', delayMs: 50 }) });
    const { dir, cleanup } = tempDir();
    try {
      const r = await runCli(['simulate', '--url', api.base, '--rate', '20', '--duration', '1m', '--logs-dir', dir], { interruptWhen: () => api.seen.length >= 5 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /stopping: no more requests are sent/);
      const summary = JSON.parse(readFileSync(onlyFile(dir, '.json'), 'utf8')) as Summary;
      assert.equal(summary.execution.interrupted, true);
      assert.equal(summary.requests.total, api.seen.length);
      assert.equal(readFileSync(onlyFile(dir, '.jsonl'), 'utf8').trim().split('\n').length, api.seen.length);
      assert.match(r.stdout, /METRICS SUMMARY \(interrupted\)/);
    } finally {
      await api.close();
      cleanup();
    }
  });

  it('an unreachable API or a bad flag gets one clear line and exit 1, and no log file', async () => {
    const { dir, cleanup } = tempDir();
    const api = await startFakeApi();
    try {
      const url = await deadUrl();
      // One of each kind of refusal (unreachable, flag parser, range check, URL); flag parsing itself is tested in parts.
      const cases: [string[], RegExp][] = [
        [['--url', url], new RegExp(`cannot reach the recommendation API at ${url}: ECONNREFUSED`)],
        [['--rate', '0'], /--rate <n>.*expected requests per second/],
        [['--users-from', '1-400000', '--unknown-from', '300000-500000'], /unknown users 300000-500000 overlap known users 1-400000/],
        [['--url', 'ftp://x'], /--url: the URL must be http/],
      ];
      // Concurrently: each run is mostly the CLI's start-up.
      const runs = await Promise.all(cases.map(([args]) => runCli(['simulate', '--url', api.base, '--duration', '1s', '--logs-dir', dir, ...args])));
      for (const [i, [args, message]] of cases.entries()) {
        const r = runs[i]!;
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        const errors = r.stderr.split('\n').filter((l) => /^(streamrec|error): /.test(l) && !l.startsWith('streamrec: simulating'));
        assert.equal(errors.length, 1, r.stderr);
        assert.match(errors[0]!, message, args.join(' '));
        assert.doesNotMatch(r.stderr, /\n\s+at /);
      }
      assert.equal(api.seen.length, 0);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      await api.close();
      cleanup();
    }
  });
});
