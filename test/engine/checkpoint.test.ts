import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { assertCompatible, CheckpointMismatchError } from '../../src/engine/checkpoint.js';
import { runPipeline } from '../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { ratingsPipeline } from '../../src/pipelines/ratings/ratings-pipeline.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../src/cli/main.js');
const T0 = Date.UTC(2025, 10, 10, 8);

async function metricsCount(log: EventLog): Promise<{ finals: number; tumblingSum: number }> {
  const c = log.consumer({ group: `count-${Math.random()}`, topics: ['metrics'], from: 'earliest' });
  let finals = 0;
  let tumblingSum = 0;
  for (let b = await c.poll({ maxRecords: 10_000 }); b.length; b = await c.poll({ maxRecords: 10_000 })) {
    for (const r of b) {
      const m = JSON.parse(r.value as string) as { final: boolean; window_type: string; count: number };
      if (!m.final) continue;
      finals++;
      if (m.window_type === 'tumbling_1min') tumblingSum += m.count;
    }
  }
  return { finals, tumblingSum };
}

describe('pipeline checkpoints', () => {
  it('resume where they stopped, refuse an incompatible definition, and reset on purpose', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const catalogue = await ensureCatalogue({ dataDir: dir, syntheticCount: 500 });
      const gen = (count: number, fromMs: number) =>
        generateRatings({ log, catalogue, users: 200, seed: fromMs % 1000, rate: Infinity, count, backfill: { fromMs, spanMs: 600_000 } });
      await gen(5000, T0);
      const first = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true });
      assert.equal(first.processed, 5000);

      // New events after a restart: only they are read, from the checkpoint.
      await gen(3000, T0 + 3_600_000);
      const second = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true });
      assert.equal(second.processed, 8000, 'counters resume from the checkpoint');
      assert.equal((await metricsCount(log)).tumblingSum, 8000, 'every event counted once over both runs');

      // A different definition is refused with what changed and how to reset.
      await assert.rejects(
        runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50, outOfOrdernessMs: 60_000 }), { log, exitWhenIdle: true }),
        (err: Error) =>
          err instanceof CheckpointMismatchError &&
          /out-of-orderness was 10m, is now 1m/.test(err.message) &&
          /streamrec reset ratings/.test(err.message),
      );
    } finally {
      await log.close();
    }

    // The CLI says the same in one line, and `reset` lets the new definition start over.
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--data-dir', dir], { encoding: 'utf8' });
    const resumed = cli('process', '--exit-when-idle', '--idle-timeout', '100ms', '--no-lake');
    assert.equal(resumed.status, 0, 'the same definition resumes');
    assert.match(resumed.stderr, /ratings: 8,000 events/);
    const refused = cli('process', '--exit-when-idle', '--idle-timeout', '100ms', '--no-lake', '--lateness', '1m');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^streamrec: the checkpoint of pipeline ratings was written by a different definition \(out-of-orderness was 10m, is now 1m\)\. Run `streamrec reset ratings`/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
    const reset = spawnSync(process.execPath, [BIN, 'reset', 'ratings', '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(reset.status, 0);
    assert.match(reset.stderr, /next run starts at the earliest offset/);
    const again = cli('process', '--exit-when-idle', '--idle-timeout', '100ms', '--no-lake', '--lateness', '1m');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /ratings: 8,000 events/, 'reprocessed from the earliest offset, with the new definition');
    const unknown = spawnSync(process.execPath, [BIN, 'reset', 'nope', '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown pipeline: nope \(pipelines: ratings, clicks, commerce\)/);
    cleanup();
  });

  it('names the out-of-orderness by its option in a mismatch, and still matches checkpoints that stored it under its first name', () => {
    // Checkpoints keep the key `allowedLatenessMs` (written before the option was renamed).
    const stored = { name: 'ratings', windows: ['tumbling_1min:60000/60000'], allowedLatenessMs: 600_000, stateVersion: 1 };
    assert.doesNotThrow(() => assertCompatible('ratings', stored, { ...stored }));
    assert.throws(
      () => assertCompatible('ratings', stored, { ...stored, allowedLatenessMs: 90_000, stateVersion: 2 }),
      (err: Error) =>
        err instanceof CheckpointMismatchError &&
        err.message.includes('(out-of-orderness was 10m, is now 1m 30s; stateVersion was 1, is now 2)') &&
        !err.message.includes('allowedLatenessMs'),
    );
  });

  it('starts at latest only when asked', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const catalogue = await ensureCatalogue({ dataDir: dir, syntheticCount: 100 });
      await generateRatings({ log, catalogue, users: 50, seed: 1, rate: Infinity, count: 1000, backfill: { fromMs: T0, spanMs: 60_000 } });
      const skipped = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true, from: 'latest', fromExplicit: true });
      assert.equal(skipped.processed, 0, '--from latest skips the backlog');
      const replay = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true, from: 'earliest', fromExplicit: true });
      assert.equal(replay.processed, 1000, '--from earliest replays it');
    } finally {
      await log.close();
      cleanup();
    }
  });
});
