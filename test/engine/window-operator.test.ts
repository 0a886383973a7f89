import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Aggregate } from '../../src/engine/aggregate.js';
import { Arrival, WindowOperator, type WindowResult } from '../../src/engine/window-operator.js';
import { sliding, tumbling, windowStartsContaining } from '../../src/engine/windows.js';
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

  it('gives every window the events that arrived before its final result, against brute force on random out-of-order data', () => {
    const rng = new Random(5);
    const lateness = 3 * MIN;
    const op = operator(lateness);
    const specs = [tumbling('tumbling_1min', MIN), sliding('sliding_5min', 5 * MIN, MIN)];
    // The rule: an event counts in each of its windows whose end the watermark (newest time seen
    // before it − the out-of-orderness) has not passed; it is late for the others.
    const events: { t: number; x: number; wmBefore: number }[] = [];
    const missed = new Map<string, number>(specs.map((w) => [w.name, 0]));
    let now = 0;
    let max = -Infinity;
    let lateEvents = 0;
    let partly = 0;
    for (let i = 0; i < 5000; i++) {
      now += rng.int(0, 400);
      const t = rng.chance(0.1) ? now - rng.int(0, 12 * MIN) : now;
      const x = rng.int(1, 9);
      const wmBefore = max - lateness;
      let final = 0;
      let open = 0;
      for (const spec of specs) {
        for (const start of windowStartsContaining(spec, t)) {
          if (start + spec.sizeMs <= wmBefore) {
            final++;
            missed.set(spec.name, missed.get(spec.name)! + 1);
          } else open++;
        }
      }
      const expected = final === 0 ? Arrival.onTime : open === 0 ? Arrival.late : Arrival.partlyLate;
      assert.equal(op.add(x, t), expected, `event ${i}`);
      if (final > 0) lateEvents++;
      if (expected === Arrival.partlyLate) partly++;
      max = Math.max(max, t);
      events.push({ t, x, wmBefore });
    }
    const results = [...op.takeFinals()];
    op.closeAll();
    results.push(...op.takeFinals());
    const seen = new Set<string>();
    for (const r of results) {
      assert.ok(!seen.has(key(r)), `one final per window: ${key(r)}`);
      seen.add(key(r));
      const inWindow = events.filter((e) => e.t >= r.window.start && e.t < r.window.end && r.window.end > e.wmBefore);
      assert.deepEqual(r.result, { n: inWindow.length, sum: inWindow.reduce((s, e) => s + e.x, 0) }, key(r));
    }
    for (const spec of specs) {
      const ofType = results.filter((r) => r.window.spec.name === spec.name);
      assert.equal(ofType.reduce((s, r) => s + r.lateEvents, 0), missed.get(spec.name), `${spec.name}: late_events sum to the missed windows`);
    }
    const tumblingFinals = results.filter((r) => r.window.spec.name === 'tumbling_1min');
    assert.equal(tumblingFinals.reduce((s, r) => s + r.result.n + r.lateEvents, 0), events.length, 'tumbling: counted + late = every event once');
    assert.deepEqual([op.late, op.lateCounted, op.taken()], [lateEvents, partly, events.length]);
    assert.ok(partly > 50 && lateEvents - partly > 50, `both kinds of late event occur: ${partly} partly, ${lateEvents - partly} wholly`);
  });

  it('counts an event behind the watermark in its window that is still open, and is late only for windows already final', () => {
    const op = operator(30_000);
    assert.equal(op.add(1, 50_000), Arrival.onTime);
    assert.equal(op.add(1, 70_000), Arrival.onTime); // watermark 40 s
    assert.equal(op.add(1, 15_000), Arrival.onTime, 'behind the watermark, but [0, 1m) is open: counts');
    assert.deepEqual(op.takeFinals(), []);
    op.add(1, 95_000); // watermark 65 s: [0, 1m) and sliding [-4m, 1m) are final
    assert.deepEqual(op.takeFinals().map((r) => [key(r), r.result.n, r.lateEvents]), [['tumbling_1min@0', 2, 0], ['sliding_5min@-240000', 2, 0]]);
    assert.equal(op.add(1, MIN - 1), Arrival.partlyLate, 'the last ms of a final window: late for it and for sliding [-4m, 1m), counted in the 4 open sliding windows');
    assert.equal(op.add(1, MIN), Arrival.onTime, 'the first ms of the open window [1m, 2m): behind the watermark, counts');
    assert.deepEqual([op.late, op.lateCounted, op.events], [1, 1, 6]);
    op.add(1, 5 * MIN + 1_000); // watermark past 4.5 min: everything up to [.., 4m) closes
    assert.equal(op.add(1, 10_000), Arrival.partlyLate, 'only sliding [0, 5m) is still open');
    op.add(1, 6 * MIN); // watermark 5.5 min: sliding [0, 5m) closes
    assert.equal(op.add(1, 20_000), Arrival.late, 'every window of it is final: counted nowhere');
    op.closeAll();
    const finals = op.takeFinals().map((r) => [key(r), r.result.n, r.lateEvents]);
    assert.deepEqual(finals.filter(([k]) => k === 'tumbling_1min@60000' || k === 'sliding_5min@-180000' || k === 'sliding_5min@0'), [
      ['tumbling_1min@60000', 3, 1], // 70 s, 95 s and 60 s; late: the event at 1m − 1 ms missed [0, 1m)
      ['sliding_5min@-180000', 6, 1], // [-3m, 2m): the first 6 events; late: the one at 1m − 1 ms missed [-4m, 1m)
      ['sliding_5min@0', 7, 4], // [0, 5m): and the one at 10 s; late: it missed 4 sliding windows
    ]);
    assert.deepEqual([op.late, op.lateCounted, op.taken()], [3, 2, 10]);
  });

  it('on idle, closes only what the wall clock allows: the resumed live stream is on time', () => {
    const T = Date.UTC(2025, 10, 10, 10);
    const op = operator(); // 10 min out-of-orderness, as ratings
    for (let i = 0; i < 500; i++) op.add(1, T + i * 20); // 500 ratings over 10 s
    const last = T + 499 * 20;
    assert.equal(op.advanceIdle(last + 20_000), false, 'a 20 s pause moves nothing: now − 10 min is behind the watermark');
    for (let i = 0; i < 500; i++) assert.equal(op.add(1, last + 20_000 + i * 20), Arrival.onTime, `resumed rating ${i}`);
    assert.equal(op.late, 0);

    const quick = operator(1_000);
    for (let i = 0; i < 500; i++) quick.add(1, T + i * 20);
    assert.equal(quick.advanceIdle(T + 30_000), false, 'the wall clock has not passed a window end yet');
    assert.equal(quick.advanceIdle(T + MIN + 1_500), true, 'now − 1 s passed 1 min: [0, 1m) closes');
    assert.equal(quick.currentWatermark(), T + MIN, 'rounded down to the pane');
    assert.deepEqual(quick.takeFinals().map((r) => [key(r), r.result.n]), [[`tumbling_1min@${T}`, 500], [`sliding_5min@${T - 4 * MIN}`, 500]]);
    assert.equal(quick.advanceIdle(T + MIN + 40_000), false, 'at most once a pane');
    assert.equal(quick.add(1, T + MIN + 500), Arrival.onTime, 'an event stamped at or after now − out-of-orderness is on time');
    assert.equal(quick.add(1, T + 59_000), Arrival.partlyLate, 'one for the closed minute is late for it, counts in open sliding windows');
    const restored = operator(1_000);
    restored.restore(JSON.parse(JSON.stringify(quick.snapshot())));
    assert.equal(restored.currentWatermark(), T + MIN, 'the idle watermark is in the snapshot');
    assert.deepEqual([restored.late, restored.lateCounted], [1, 1]);

    const history = operator(1_000);
    history.add(1, Date.UTC(2020, 0, 1, 0, 0, 30));
    assert.equal(history.advanceIdle(T), true);
    assert.equal(history.currentWatermark(), Date.UTC(2020, 0, 1, 0, 5), 'old data: the end of its last window, no further');
    assert.equal(history.openPanes(), 0);
    assert.equal(operator().advanceIdle(T), false, 'nothing seen: nothing to close');

    // A partition task passes the group's newest window end: an idle partition follows the group
    // up to it (never to today), and goes no further than the clock allows.
    const partition = operator(1_000);
    assert.equal(partition.advanceIdle(T, -Infinity), false, 'nothing seen in the group: nothing moves');
    assert.equal(partition.advanceIdle(T, Date.UTC(2020, 0, 1, 0, 5)), true);
    assert.equal(partition.currentWatermark(), Date.UTC(2020, 0, 1, 0, 5), "old data elsewhere in the group: that data's last window end, not today");
    assert.equal(partition.add(1, Date.UTC(2020, 0, 1, 0, 6)), Arrival.onTime, 'the group’s next old event is on time here');
    const live = operator(1_000);
    assert.equal(live.advanceIdle(T + 30_000, T + 5 * MIN), true);
    assert.equal(live.currentWatermark(), T, 'the clock bounds it: now − 1 s, rounded down to the pane');
    assert.equal(live.advanceIdle(T + MIN + 1_500, T + 5 * MIN), true);
    assert.equal(live.currentWatermark(), T + MIN, 'and follows it');
  });

  it('closes every window at the end of input (exit when idle), and counts later events for them as late', () => {
    const op = operator();
    op.add(1, 30_000);
    op.add(1, 3 * MIN);
    assert.deepEqual(op.takeFinals(), [], 'lateness keeps them open');
    op.closeAll();
    const finals = op.takeFinals();
    assert.ok(finals.some((r) => key(r) === 'tumbling_1min@180000'));
    assert.equal(finals.filter((r) => r.window.spec.name === 'tumbling_1min').length, 2);
    assert.equal(op.openPanes(), 0);
    assert.equal(op.add(1, 3 * MIN + 10), Arrival.late, 'its windows already closed: late');
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
        // A pause in the input: the idle watermark must survive the snapshot.
        if (i === 1000) op.advanceIdle(e.t + 12 * MIN);
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
