import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { paneSize, sliding, tumbling, windowStartsContaining } from '../../src/engine/windows.js';
import { Watermark } from '../../src/engine/watermark.js';

const MIN = 60_000;

describe('window assignment', () => {
  it('puts an event in exactly one tumbling window, boundaries belonging to the later one', () => {
    const w = tumbling('t', MIN);
    assert.deepEqual(windowStartsContaining(w, 0), [0]);
    assert.deepEqual(windowStartsContaining(w, MIN - 1), [0]);
    assert.deepEqual(windowStartsContaining(w, MIN), [MIN]);
    assert.deepEqual(windowStartsContaining(w, 5 * MIN + 30_000), [5 * MIN]);
    assert.deepEqual(windowStartsContaining(w, -1), [-MIN], 'before the epoch too');
  });

  it('puts an event in size/slide overlapping sliding windows, each containing it', () => {
    const w = sliding('s', 5 * MIN, MIN);
    for (const t of [0, MIN - 1, MIN, 7 * MIN + 123, 10 * MIN]) {
      const starts = windowStartsContaining(w, t);
      assert.equal(starts.length, 5);
      for (const s of starts) assert.ok(s <= t && t < s + 5 * MIN, `${t} in [${s}, ${s + 5 * MIN})`);
      assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
      assert.ok(starts.every((s) => s % MIN === 0));
    }
  });

  it('chooses the pane as the gcd of every size and slide', () => {
    assert.equal(paneSize([tumbling('a', MIN), sliding('b', 5 * MIN, MIN)]), MIN);
    assert.equal(paneSize([tumbling('c', 2000)]), 2000);
    assert.equal(paneSize([tumbling('a', 30_000), sliding('b', 90_000, 45_000)]), 15_000);
  });

  it('rejects windows that cannot be built from panes', () => {
    assert.throws(() => sliding('x', 5 * MIN, 2 * MIN), /multiple of the slide/);
    assert.throws(() => sliding('x', MIN, 2 * MIN), /at most the size/);
    assert.throws(() => tumbling('x', 0), /positive/);
  });
});

describe('watermark', () => {
  it('trails the largest event time by the out-of-orderness and never goes back', () => {
    const w = new Watermark(10 * MIN);
    assert.equal(w.current(), -Infinity);
    w.observe(100 * MIN);
    assert.equal(w.current(), 90 * MIN);
    w.observe(95 * MIN);
    assert.equal(w.current(), 90 * MIN, 'an older event does not move it back');
    w.observe(80 * MIN);
    assert.equal(w.maxEventTime(), 100 * MIN);
    w.flushTo(200 * MIN);
    assert.equal(w.current(), 200 * MIN);
    w.flushTo(150 * MIN);
    assert.equal(w.current(), 200 * MIN, 'a flush never moves it back either');
    const restored = Watermark.fromJSON(10 * MIN, JSON.parse(JSON.stringify(w.toJSON())));
    assert.equal(restored.current(), 200 * MIN);
    assert.equal(restored.maxEventTime(), 100 * MIN);
  });
});
