// The retrain flags of `up` and `serve`, checked before anything starts, and the lines they print.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { trainArgs, trainSummary } from '../../src/cli/retrain-child.js';
import { retrainPolicy, retrainStatusLine, runLine } from '../../src/cli/retrain-options.js';
import type { RetrainStatus } from '../../src/recommend/serving/contract.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');

describe('retrain flags', () => {
  it('makes a policy of the flags, refusing what cannot work', () => {
    assert.equal(retrainPolicy({}), null);
    assert.deepEqual(retrainPolicy({ retrainEvery: 3_600_000 }), { everyMs: 3_600_000, afterRatings: undefined });
    assert.deepEqual(retrainPolicy({ retrainAfter: 500, retrainModels: ['als'] }), { everyMs: undefined, afterRatings: 500 });
    assert.throws(() => retrainPolicy({ retrainModels: ['als'] }), /--retrain-models needs --retrain-every <duration> or --retrain-after <n>/);
    assert.throws(() => retrainPolicy({ retrainEvery: 500 }), /--retrain-every must be at least 1s, got 500ms/);
  });

  it('refuses a bad flag with one line before serving anything', () => {
    const data = tempDir();
    try {
      const bad = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--retrain-after', 'lots', '--data-dir', data.dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /option '--retrain-after <n>' argument 'lots' is invalid/);
      const models = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--retrain-models', 'als', '--data-dir', data.dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(models.status, 1);
      assert.match(models.stderr, /^streamrec: --retrain-models needs --retrain-every <duration> or --retrain-after <n>\n$/);
    } finally {
      data.cleanup();
    }
  });

  it('runs train from the lake without the held-out evaluation, and reads its per-model lines', () => {
    assert.deepEqual(trainArgs('/d', []), ['train', '--from-lake', '--no-eval', '--data-dir', '/d']);
    assert.deepEqual(trainArgs('/d', ['als', 'hybrid']).slice(-2), ['--models', 'als,hybrid']);
    const stderr = [
      'streamrec: training als, popularity on lake (3,110 ratings)',
      'als: iteration 1/10 users [....]   0%',
      'streamrec: als trained in 2s → v20261206T100002005Z-8961',
      'streamrec: popularity skipped: v1 was trained on the same data and parameters (--force to train again)',
    ].join('\n');
    assert.equal(trainSummary(stderr), 'als v20261206T100002005Z-8961 (2s); popularity unchanged (same data)');
  });

  it('says what the schedule does in one line', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const status: RetrainStatus = { every_seconds: 600, after_ratings: 1000, models: [], running: null, last: null, runs: 0, failures: 0, next_at: '2026-01-01T12:05:00Z', pending_ratings: 12 };
    assert.equal(retrainStatusLine(status, now), 'retrain in 5m or after 1,000 new ratings (12)');
    const run = { reason: 'ratings' as const, started_at: '2026-01-01T11:59:30Z', finished_at: null, seconds: null, ok: null, message: null };
    assert.equal(retrainStatusLine({ ...status, running: run }, now), 'retrain running 30s');
    assert.equal(runLine(run), 'retrain (new ratings) started: training from the lake in a child process');
    assert.equal(runLine({ ...run, ok: true, seconds: 4.2, message: 'als v2 (1s)' }), 'retrained from the lake in 4s: als v2 (1s)');
    assert.equal(runLine({ ...run, ok: false, seconds: 1, message: 'the ratings lake is empty' }), 'retrain failed after 1s: the ratings lake is empty');
  });
});
