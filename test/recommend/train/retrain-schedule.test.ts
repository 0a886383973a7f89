// The retrain rule (when `up`/`serve` retrain by themselves) and the scheduler around it, on a fake
// clock with a runner the test controls.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetrainScheduler, retrainDue, type RetrainHistory, type RetrainObservation, type RetrainOutcome } from '../../../src/recommend/train/retrain-schedule.js';

const fresh = (at = 0): RetrainHistory => ({ lastStartAt: at, lastEndAt: null, arrivedAtLastStart: null, lastOk: null });
const seen = (unseen: number, arrived: number, busy = false): RetrainObservation => ({ unseen, arrived, busy });

describe('retrainDue', () => {
  it('retrains on schedule once the interval has passed since the last start', () => {
    const policy = { everyMs: 60_000 };
    assert.equal(retrainDue(policy, fresh(0), seen(0, 0), 59_999), null);
    assert.equal(retrainDue(policy, fresh(0), seen(0, 0), 60_000), 'schedule', 'the first one is due even with nothing seen yet');
    const after = { lastStartAt: 60_000, lastEndAt: 70_000, arrivedAtLastStart: 500, lastOk: true };
    assert.equal(retrainDue(policy, after, seen(0, 500), 120_000), null, 'nothing arrived since a good retrain: it would train on the same data');
    assert.equal(retrainDue(policy, after, seen(0, 501), 120_000), 'schedule');
    assert.equal(retrainDue(policy, { ...after, lastOk: false }, seen(0, 500), 120_000), 'schedule', 'after a failure the schedule tries again');
  });

  it('retrains once the served models have not seen N ratings and N more arrived since the last start', () => {
    const policy = { afterRatings: 100 };
    assert.equal(retrainDue(policy, fresh(), seen(99, 1000), 5), null);
    assert.equal(retrainDue(policy, fresh(), seen(100, 1000), 5), 'ratings', 'the first one needs only the unseen count');
    const after = { lastStartAt: 10, lastEndAt: 20, arrivedAtLastStart: 1000, lastOk: true };
    // The retrain could not take everything in (the lake lags the log): not again at once.
    assert.equal(retrainDue(policy, after, seen(150, 1050), 30), null);
    assert.equal(retrainDue(policy, after, seen(150, 1100), 30), 'ratings');
    assert.equal(retrainDue(policy, after, seen(50, 5000), 30), null, 'the models are fresh enough');
  });

  it('retries a failed retrain on new ratings only after a pause', () => {
    const policy = { afterRatings: 100, retryAfterFailureMs: 30_000 };
    const failed = { lastStartAt: 0, lastEndAt: 1_000, arrivedAtLastStart: 1000, lastOk: false };
    assert.equal(retrainDue(policy, failed, seen(500, 1000), 30_999), null);
    assert.equal(retrainDue(policy, failed, seen(500, 1000), 31_000), 'ratings');
  });

  it('never starts while a model reload is pending, and takes either trigger', () => {
    const policy = { everyMs: 1000, afterRatings: 10 };
    assert.equal(retrainDue(policy, fresh(0), seen(50, 50, true), 5000), null);
    assert.equal(retrainDue(policy, fresh(0), seen(50, 50), 10), 'ratings');
    assert.equal(retrainDue(policy, fresh(0), seen(5, 5), 1000), 'schedule');
  });
});

/** A runner whose retrains the test ends by hand. */
function manualRunner() {
  const calls: { reason: string; signal: AbortSignal; end: (o: RetrainOutcome) => void }[] = [];
  return {
    calls,
    run: (reason: string, signal: AbortSignal) => new Promise<RetrainOutcome>((resolve) => {
      calls.push({ reason, signal, end: resolve });
      signal.addEventListener('abort', () => resolve({ ok: false, message: 'stopped' }), { once: true });
    }),
  };
}

describe('RetrainScheduler', () => {
  it('runs one retrain at a time when due and reports it in its status', async () => {
    let now = 1_000_000;
    let observed = seen(0, 0);
    const runner = manualRunner();
    const runs: string[] = [];
    const scheduler = new RetrainScheduler({
      policy: { everyMs: 60_000, afterRatings: 1000 },
      models: ['als'],
      observe: async () => observed,
      run: runner.run,
      onRun: (r) => runs.push(r.ok === null ? `start ${r.reason}` : `end ${r.ok}`),
      now: () => now,
    });
    assert.equal(await scheduler.tick(), false);
    let status = scheduler.status();
    assert.equal(status.every_seconds, 60);
    assert.equal(status.after_ratings, 1000);
    assert.deepEqual(status.models, ['als']);
    assert.equal(status.next_at, new Date(1_060_000).toISOString());
    assert.equal(status.pending_ratings, 0);

    observed = seen(1500, 1500);
    now += 5000;
    assert.equal(await scheduler.tick(), true);
    assert.equal(runner.calls.length, 1);
    assert.equal(runner.calls[0]!.reason, 'ratings');
    status = scheduler.status();
    assert.equal(status.running?.reason, 'ratings');
    assert.equal(status.running?.started_at, new Date(1_005_000).toISOString());
    assert.equal(status.next_at, new Date(1_065_000).toISOString(), 'the schedule counts from the last start');
    // Due again by both rules, but one runs: no second.
    observed = seen(5000, 5000);
    now += 120_000;
    assert.equal(await scheduler.tick(), false);
    assert.equal(runner.calls.length, 1);

    now += 1000;
    runner.calls[0]!.end({ ok: true, message: 'als v2' });
    await scheduler.idle();
    status = scheduler.status();
    assert.equal(status.running, null);
    assert.equal(status.last?.ok, true);
    assert.equal(status.last?.message, 'als v2');
    assert.equal(status.last?.seconds, 121);
    assert.equal(status.runs, 1);
    assert.equal(status.failures, 0);
    assert.deepEqual(runs, ['start ratings', 'end true']);

    // The schedule is overdue and ratings arrived: the next look starts one.
    assert.equal(await scheduler.tick(), true);
    assert.equal(runner.calls[1]!.reason, 'ratings');
    runner.calls[1]!.end({ ok: false, message: 'the ratings lake is empty' });
    await scheduler.idle();
    assert.equal(scheduler.status().failures, 1);
    assert.equal(scheduler.status().last?.message, 'the ratings lake is empty');
    await scheduler.stop();
  });

  it('stops a retrain in progress when stopped, and a runner that throws counts as a failure', async () => {
    const runner = manualRunner();
    const scheduler = new RetrainScheduler({ policy: { afterRatings: 1 }, models: [], observe: async () => seen(5, 5), run: runner.run });
    assert.equal(await scheduler.tick(), true);
    await scheduler.stop();
    assert.equal(runner.calls[0]!.signal.aborted, true);
    assert.equal(scheduler.status().last?.ok, false);
    assert.equal(await scheduler.tick(), false, 'a stopped scheduler starts nothing');

    const throwing = new RetrainScheduler({ policy: { afterRatings: 1 }, models: [], observe: async () => seen(5, 5), run: async () => { throw new Error('spawn failed'); } });
    assert.equal(await throwing.tick(), true);
    await throwing.idle();
    assert.deepEqual([throwing.status().last?.ok, throwing.status().last?.message], [false, 'spawn failed']);
    await throwing.stop();
  });

  it('skips a due retrain with nothing to learn from, says so once, and runs at the next look that has something', async () => {
    const runner = manualRunner();
    let now = 0;
    let why: string | null = 'the ratings lake has no files yet';
    const skips: string[] = [];
    const scheduler = new RetrainScheduler({
      policy: { everyMs: 12_000 },
      models: ['als'],
      observe: async () => seen(0, 40),
      nothingToLearn: async () => why,
      run: runner.run,
      onSkip: (reason, w) => skips.push(`${reason}: ${w}`),
      now: () => now,
    });
    now = 12_000;
    assert.equal(await scheduler.tick(), false, 'due, but the lake is empty');
    now = 13_000;
    assert.equal(await scheduler.tick(), false);
    assert.deepEqual(skips, ['schedule: the ratings lake has no files yet'], 'told once, not at every look');
    assert.equal(runner.calls.length, 0, 'no training started');
    const status = scheduler.status();
    assert.deepEqual([status.runs, status.failures, status.last], [0, 0, null], 'a skip is neither a run nor a failure');

    why = null;
    now = 14_000;
    assert.equal(await scheduler.tick(), true, 'the next look with ratings in the lake starts the retrain');
    assert.equal(runner.calls[0]!.reason, 'schedule');
    runner.calls[0]!.end({ ok: true, message: 'als v1' });
    await scheduler.idle();
    assert.deepEqual([scheduler.status().runs, scheduler.status().failures], [1, 0]);
    await scheduler.stop();
  });

  it('refuses a schedule with no rule or a bad one', () => {
    const base = { models: [], observe: async () => seen(0, 0), run: async () => ({ ok: true, message: '' }) };
    assert.throws(() => new RetrainScheduler({ ...base, policy: {} }), /everyMs or afterRatings/);
    assert.throws(() => new RetrainScheduler({ ...base, policy: { everyMs: 0 } }), /interval must be positive/);
    assert.throws(() => new RetrainScheduler({ ...base, policy: { afterRatings: 1.5 } }), /whole number/);
  });
});
