import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Aggregate } from '../../src/engine/aggregate.js';
import { WindowOperator, type WindowResult } from '../../src/engine/window-operator.js';
import { sliding, tumbling } from '../../src/engine/windows.js';
import { Random } from '../../src/util/random.js';

const MIN = 60_000;

/** Sum and count of numbers: enough to check windowing without the aggregate library. */
const sumCount: Aggregate<number, { n: number; sum: number }, { n: number; sum: number }> = {
  create: () => ({ n: 0, sum: 0 }),
  add: (s, x) => {
    s.n++;
    s.sum += x;
  },
  mergeInto: (t, s) => {
    t.n += s.n;
    t.sum += s.sum;
  },
  result: (s) => ({ ...s }),
  toJSON: (s) => s,
  fromJSON: (j) => ({ ...(j as { n: number; sum: number }) }),
};

function operator(latenessMs = 10 * MIN) {
  return new WindowOperator({
    windows: [tumbling('tumbling_1min', MIN), sliding('sliding_5min', 5 * MIN, MIN)],
    aggregate: sumCount,
    outOfOrdernessMs: latenessMs,
    emitIntervalMs: 1000,
  });
}

const key = (r: WindowResult<unknown>) => `${r.window.spec.name}@${r.window.start}`;

describe('window operator', () => {
  it('emits each window once as final when the watermark passes its end, oldest first', () => {
    const op = operator(0);
    op.add(1, 10_000);
    op.add(2, 50_000);
    assert.deepEqual(op.takeFinals(), []);
    op.add(4, MIN + 5_000); // watermark passes 1 min: tumbling [0, 1m) and sliding [-4m, 1m) close
    const finals = op.takeFinals();
    assert.deepEqual(finals.map(key), ['tumbling_1min@0', 'sliding_5min@-240000']);
    assert.deepEqual(finals[0]!.result, { n: 2, sum: 3 });
    assert.equal(finals[0]!.final, true);
    op.add(5, MIN + 9_000);
    // A final carries the watermark that closed its window, however late it is taken.
    assert.deepEqual(finals.map((f) => [f.watermark, f.maxEventTime]), [[MIN + 5_000, MIN + 5_000], [MIN + 5_000, MIN + 5_000]]);
    op.add(8, 5 * MIN); // passes 2m..5m: tumbling [1m,2m) and sliding [-4m, 1m) … [0, 5m)
    const more = op.takeFinals().map((r) => [key(r), r.result.sum]);
    assert.deepEqual(more, [
      ['tumbling_1min@60000', 9],
      ['sliding_5min@-180000', 12],
      ['sliding_5min@-120000', 12],
      ['sliding_5min@-60000', 12],
      ['sliding_5min@0', 12],
    ]);
  });

  it('gives every window the sum of its events, against brute force on random out-of-order data', () => {
    const rng = new Random(5);
    const op = operator(3 * MIN);
    const events: { t: number; x: number; late: boolean }[] = [];
    let now = 0;
    let max = -Infinity;
    for (let i = 0; i < 5000; i++) {
      now += rng.int(0, 400);
      const t = rng.chance(0.1) ? now - rng.int(0, 5 * MIN) : now;
      const x = rng.int(1, 9);
      const late = !op.add(x, t);
      // The rule: late iff behind the largest time seen so far minus the lateness.
      assert.equal(late, t < max - 3 * MIN, `event ${i}`);
      if (!late) max = Math.max(max, t);
      events.push({ t, x, late });
    }
    const results = [...op.takeFinals()];
    op.closeAll();
    results.push(...op.takeFinals());
    const seen = new Set<string>();
    for (const r of results) {
      assert.ok(!seen.has(key(r)), `one final per window: ${key(r)}`);
      seen.add(key(r));
      const inWindow = events.filter((e) => !e.late && e.t >= r.window.start && e.t < r.window.end);
      assert.deepEqual(r.result, { n: inWindow.length, sum: inWindow.reduce((s, e) => s + e.x, 0) }, key(r));
    }
    const onTime = events.filter((e) => !e.late);
    const tumblingTotal = results.filter((r) => r.window.spec.name === 'tumbling_1min').reduce((s, r) => s + r.result.n, 0);
    assert.equal(tumblingTotal, onTime.length, 'tumbling finals hold every on-time event once');
    const lateTotal = results.filter((r) => r.window.spec.name === 'tumbling_1min').reduce((s, r) => s + r.lateEvents, 0);
    assert.equal(lateTotal, events.length - onTime.length, 'late_events sum to the late events');
    assert.ok(lateTotal > 0);
  });

  it('closes every open window on idle, and counts later events for them as late', () => {
    const op = operator();
    op.add(1, 30_000);
    op.add(1, 3 * MIN);
    assert.deepEqual(op.takeFinals(), [], 'lateness keeps them open');
    op.closeAll();
    const finals = op.takeFinals();
    assert.ok(finals.some((r) => key(r) === 'tumbling_1min@180000'));
    assert.equal(finals.filter((r) => r.window.spec.name === 'tumbling_1min').length, 2);
    assert.equal(op.openPanes(), 0);
    assert.equal(op.add(1, 3 * MIN + 10), false, 'its window already closed: late');
  });

  it('emits updated results of open windows at most once per interval, marked not final', () => {
    const op = operator();
    op.add(2, 10_000);
    const first = op.updates(1000);
    assert.ok(first.length > 0 && first.every((r) => !r.final));
    op.add(3, 20_000);
    assert.deepEqual(op.updates(1500), [], 'within the interval');
    const second = op.updates(2000);
    assert.deepEqual(second.find((r) => key(r) === 'tumbling_1min@0')!.result, { n: 2, sum: 5 });
    assert.deepEqual(op.updates(5000), [], 'nothing changed');
  });

  it('resumes from a snapshot with the same results as an uninterrupted run', () => {
    const rng = new Random(9);
    const input = Array.from({ length: 3000 }, (_, i) => ({ t: i * 500 - (rng.chance(0.05) ? rng.int(0, 15 * MIN) : 0), x: rng.int(1, 5) }));
    const run = (splitAt: number | null) => {
      let op = operator();
      const out: WindowResult<{ n: number; sum: number }>[] = [];
      input.forEach((e, i) => {
        if (i === splitAt) {
          out.push(...op.takeFinals());
          const snap = JSON.parse(JSON.stringify(op.snapshot()));
          op = operator();
          op.restore(snap);
        }
        op.add(e.x, e.t);
      });
      out.push(...op.takeFinals());
      op.closeAll();
      out.push(...op.takeFinals());
      return out.map((r) => [key(r), r.result, r.lateEvents]);
    };
    assert.deepEqual(run(1234), run(null));
  });
});
