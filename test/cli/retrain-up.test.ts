/**
 * `streamrec up --retrain-every` as a user runs it (a real process, its generator filling the
 * lake): the schedule trains the first model from the lake by itself, trains again on the next
 * tick, and the server swaps the new version in while clients keep asking — every answer a 200.
 * Health shows the schedule and each model's age and unseen ratings; Ctrl-C stops cleanly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RecommendHealthResponse } from '../../src/recommend/serving/contract.js';
import { waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';
import { hammer } from '../recommend/serving/fixtures.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

/** Polls an async condition every half second until it holds. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('up --retrain-every', () => {
  it('retrains from the lake on schedule and serves the new version without a failed request', { timeout: 300_000 }, async () => {
    const data = tempDir();
    const up = spawn(process.execPath, [BIN, 'up', '--port', '0', '--rate', '100', '--users', '100', '--movies', '200', '--retrain-every', '12s', '--retrain-models', 'als', '--data-dir', data.dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    up.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((res) => up.on('exit', (code) => res(code)));
    let load: ReturnType<typeof hammer> | null = null;
    try {
      await waitFor(() => /dashboard at http:\/\/localhost:\d+/.test(stderr), 60_000, 'the dashboard URL');
      const url = /dashboard at (http:\/\/localhost:\d+)/.exec(stderr)![1]!;
      const health = async () => (await (await fetch(`${url}/recommendations/health`)).json()) as RecommendHealthResponse;
      let h = await health();
      assert.equal(h.retrain?.every_seconds, 12);
      assert.deepEqual(h.retrain?.models, ['als']);

      // The first model comes from the schedule itself (nobody ran `train`).
      let first = '';
      await until(async () => {
        first = (await health()).models.als ?? '';
        return first !== '';
      }, 120_000, () => `the first scheduled model (stderr: ${stderr.slice(-800)})`);

      load = hammer(url, 4, 100);
      let second = '';
      await until(async () => {
        second = (await health()).models.als ?? '';
        return second !== '' && second !== first;
      }, 120_000, () => `a second scheduled model (stderr: ${stderr.slice(-800)})`);
      // Requests keep going a while on the new version.
      const at = load.requests();
      await waitFor(() => load!.requests() >= at + 50, 60_000, 'requests after the swap');
      const seen = await load.stop();
      load = null;
      assert.deepEqual([...seen.statuses.keys()], [200], `every answer a 200: ${JSON.stringify([...seen.statuses])}`);
      assert.ok(seen.versions.has(second), 'the new version answered');

      h = await health();
      const retrain = h.retrain!;
      assert.ok(retrain.runs >= 2, `runs ${retrain.runs}`);
      assert.equal(retrain.failures, 0, JSON.stringify(retrain.last));
      assert.match(retrain.last?.message ?? '', /^als v\S+ \(/);
      assert.equal(retrain.last?.reason, 'schedule');
      const als = h.freshness.als!;
      assert.equal(als.dataset, 'lake');
      assert.ok(als.age_seconds >= 0 && als.age_seconds < 600, `age ${als.age_seconds}`);
      assert.equal(typeof als.ratings_not_seen, 'number', 'the generator keeps rating: the model has not seen the newest');
      assert.ok(existsSync(join(data.dir, 'logs', 'retrain.log')));
      assert.match(readFileSync(join(data.dir, 'logs', 'retrain.log'), 'utf8'), /retrain \(schedule\): streamrec train --from-lake --no-eval/);
      assert.match(stderr, /streamrec: retrained from the lake in \S+: als v/);

      up.kill('SIGINT');
      assert.equal(await exited, 0, stderr.slice(-2000));
      assert.match(stderr, /stopped cleanly/);
    } finally {
      await load?.stop();
      if (up.exitCode === null && up.signalCode === null) up.kill('SIGINT');
      await exited;
      data.cleanup();
    }
  });
});
