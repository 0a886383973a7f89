import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Aggregate } from '../../src/engine/aggregate.js';
import { fairShare } from '../../src/engine/group-share.js';
import { partialAggregate } from '../../src/engine/partial-aggregate.js';
import { groupClosedUpTo, mergeDue, START_MARK, type SealedPartial, type TaskReport } from '../../src/engine/window-merge.js';
import { WindowOperator, type WindowResult } from '../../src/engine/window-operator.js';
import { sliding, tumbling } from '../../src/engine/windows.js';
import { Random } from '../../src/util/random.js';

const MIN = 60_000;
const WINDOWS = [tumbling('tumbling_1min', MIN), sliding('sliding_5min', 5 * MIN, MIN)];

type SumCount = { n: number; sum: number; values: number[] };
/** Count, sum and the values themselves (a state with an array: the copy must be deep). */
const sumCount: Aggregate<number, SumCount, { n: number; sum: number }> = {
  create: () => ({ n: 0, sum: 0, values: [] }),
  add: (s, x) => {
    s.n++;
    s.sum += x;
    s.values.push(x);
  },
  mergeInto: (t, s) => {
    t.n += s.n;
    t.sum += s.sum;
    t.values.push(...s.values);
  },
  result: (s) => ({ n: s.n, sum: s.sum }),
  toJSON: (s) => s,
  fromJSON: (j) => {
    const s = j as SumCount;
    return { n: s.n, sum: s.sum, values: [...s.values] };
  },
};

function partial(window: string, start: number, size: number, n: number, sum: number, extra: Partial<SealedPartial> = {}): SealedPartial {
  return { window, start, end: start + size, state: { n, sum, values: [] }, lateEvents: 0, watermark: start + size, maxEventTime: start + size, ...extra };
}

const key = (r: WindowResult<unknown>) => `${r.window.spec.name}@${r.window.start}`;

describe('the window merge of a group', () => {
  it("takes the slowest partition's closed mark as the group's; a partition without a report holds everything back, an ended one nothing", () => {
    const r = (closedUpTo: number | null, ended = false): TaskReport => ({ closedUpTo, ended, sealed: [] });
    assert.equal(groupClosedUpTo([r(5 * MIN), r(3 * MIN), r(9 * MIN)]), 3 * MIN);
    assert.equal(groupClosedUpTo([r(5 * MIN), null]), -Infinity);
    assert.equal(groupClosedUpTo([r(5 * MIN), r(null)]), -Infinity);
    assert.equal(groupClosedUpTo([r(5 * MIN), r(null, true)]), 5 * MIN);
    assert.equal(groupClosedUpTo([r(null, true), r(2 * MIN, true)]), Infinity);
  });

  it('merges the partitions\' partials of each window closed by all, oldest end first, adding late counts, min watermark, max event time', () => {
    const reports: TaskReport[] = [
      { closedUpTo: 2 * MIN, ended: false, sealed: [partial('tumbling_1min', 0, MIN, 2, 7, { lateEvents: 1, watermark: MIN + 5, maxEventTime: 11 * MIN }), partial('tumbling_1min', MIN, MIN, 1, 4)] },
      { closedUpTo: 1 * MIN, ended: false, sealed: [partial('tumbling_1min', 0, MIN, 3, 5, { lateEvents: 2, watermark: MIN, maxEventTime: 10 * MIN })] },
    ];
    const first = mergeDue(WINDOWS, sumCount, reports, START_MARK);
    assert.deepEqual(first.finals.map(key), ['tumbling_1min@0']);
    assert.deepEqual(first.finals[0]!.result, { n: 5, sum: 12 });
    assert.equal(first.finals[0]!.lateEvents, 3);
    assert.equal(first.finals[0]!.watermark, MIN);
    assert.equal(first.finals[0]!.maxEventTime, 11 * MIN);
    assert.deepEqual(first.mark, { emittedUpTo: MIN, done: false, endedAt: null });

    // Nothing new until the slower partition moves; then only the next window, once.
    assert.deepEqual(mergeDue(WINDOWS, sumCount, reports, first.mark).finals, []);
    reports[1]!.closedUpTo = 2 * MIN;
    const second = mergeDue(WINDOWS, sumCount, reports, first.mark);
    assert.deepEqual(second.finals.map(key), ['tumbling_1min@60000']);
    assert.deepEqual(second.finals[0]!.result, { n: 1, sum: 4 });

    // Every partition ended: the rest is due and the merge is done.
    const ended = reports.map((r) => ({ ...r, ended: true, sealed: [...r.sealed, partial('sliding_5min', 0, 5 * MIN, 1, 1)] }));
    const last = mergeDue(WINDOWS, sumCount, ended, second.mark);
    assert.deepEqual(last.finals.map(key), ['sliding_5min@0']);
    assert.deepEqual(last.finals[0]!.result, { n: 2, sum: 2 });
    assert.deepEqual(last.mark, { emittedUpTo: 5 * MIN, done: true, endedAt: 2 * MIN }, 'done, keeping the last end merged and where the partitions stood');
    assert.deepEqual(mergeDue(WINDOWS, sumCount, ended, last.mark).finals, [], 'a done merge writes nothing more');

    // A task given new input reads on: the group is not done any more, and goes on from the mark.
    const resumed = ended.map((r, i) => (i === 0 ? { closedUpTo: 7 * MIN, ended: false, sealed: [partial('tumbling_1min', 6 * MIN, MIN, 2, 2)] } : r));
    const again = mergeDue(WINDOWS, sumCount, resumed, last.mark);
    assert.deepEqual(again.finals.map(key), ['tumbling_1min@360000']);
    assert.deepEqual(again.mark, { emittedUpTo: 7 * MIN, done: false, endedAt: 2 * MIN }, 'where it last ended is kept while it runs again');
  });

  it('refuses a partial of a window the pipeline does not declare', () => {
    const reports: TaskReport[] = [{ closedUpTo: MIN, ended: false, sealed: [partial('hourly', 0, MIN, 1, 1)] }];
    assert.throws(() => mergeDue(WINDOWS, sumCount, reports, START_MARK), /window hourly/);
  });

  /**
   * Events split over partitions, each partition through its own operator (its own watermark) and
   * the partials merged: with no event behind its partition's watermark, the finals are those of
   * one operator over all the events — the merge is exact — whatever order the partitions run in.
   */
  it("gives one operator's finals over in-order partitions, whatever order the partitions are processed in", () => {
    const random = new Random(5);
    const partitions = 4;
    const events: { p: number; t: number; x: number }[] = [];
    let t = 0;
    for (let i = 0; i < 4000; i++) {
      t += Math.floor(random.next() * 3000);
      events.push({ p: Math.floor(random.next() * partitions), t, x: Math.floor(random.next() * 100) });
    }
    const single = new WindowOperator({ windows: WINDOWS, aggregate: sumCount, outOfOrdernessMs: 0 });
    for (const e of events) single.add(e.x, e.t);
    single.closeAll();
    const expected = single.takeFinals().map((r) => ({ key: key(r), result: r.result }));

    const runOrder = (order: number[]) => {
      const reports: TaskReport[] = [];
      for (const p of order) {
        const op = new WindowOperator({ windows: WINDOWS, aggregate: partialAggregate(sumCount), outOfOrdernessMs: 0 });
        const sealed: SealedPartial[] = [];
        const seal = (rs: WindowResult<string>[]) => {
          for (const r of rs) sealed.push({ window: r.window.spec.name, start: r.window.start, end: r.window.end, state: JSON.parse(r.result) as unknown, lateEvents: r.lateEvents, watermark: r.watermark, maxEventTime: r.maxEventTime });
        };
        for (const e of events) {
          if (e.p !== p) continue;
          op.add(e.x, e.t);
          seal(op.takeFinals());
        }
        op.closeAll();
        seal(op.takeFinals());
        reports[p] = { closedUpTo: op.closedUpTo(), ended: true, sealed };
      }
      return mergeDue(WINDOWS, sumCount, reports, START_MARK).finals.map((r) => ({ key: key(r), result: r.result }));
    };
    const forward = runOrder([0, 1, 2, 3]);
    assert.deepEqual(forward, expected);
    assert.equal(forward.reduce((s, f) => s + (f.key.startsWith('tumbling') ? f.result.n : 0), 0), events.length, 'every event in one tumbling final');
    assert.deepEqual(runOrder([3, 1, 0, 2]), forward);
  });
});

describe('a partial aggregate', () => {
  it("hands over the state as JSON text: a pane still open for another window goes on changing without it", () => {
    const agg = partialAggregate(sumCount);
    const s = agg.create();
    agg.add(s, 3);
    const sealed = agg.result(s);
    agg.add(s, 4);
    assert.deepEqual(JSON.parse(sealed), { n: 1, sum: 3, values: [3] });
    assert.deepEqual(JSON.parse(agg.resultOfMerged!([s, s])), { n: 4, sum: 14, values: [3, 4, 3, 4] });
  });
});

describe('a member\'s fair share of the partitions', () => {
  it('splits evenly, the remainder to the lowest live slots, the same for every member', () => {
    const live = [0, 2, 3, 5];
    const shares = live.map((slot) => fairShare(6, live, slot));
    assert.deepEqual(shares, [2, 2, 1, 1]);
    for (let members = 1; members <= 6; members++) {
      const slots = Array.from({ length: members }, (_, i) => i * 2);
      assert.equal(slots.reduce((s, slot) => s + fairShare(6, slots, slot), 0), 6, `${members} members hold all 6 partitions`);
    }
  });

  it('counts the asking member even before its own heartbeat is seen', () => {
    assert.equal(fairShare(6, [1], 0), 3);
    assert.equal(fairShare(6, [], 4), 6);
  });
});
