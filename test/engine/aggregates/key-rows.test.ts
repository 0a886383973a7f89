import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyRows } from '../../../src/engine/aggregates/key-rows.js';
import { Random } from './helpers.js';

/** Feeds keys to a KeyRows and to a Map numbering them in first-seen order; both must agree throughout. */
function checkAgainstMap(keys: readonly (string | number)[]): KeyRows<string | number> {
  const rows = new KeyRows<string | number>();
  const expected = new Map<string | number, number>();
  for (const k of keys) {
    const before = expected.get(k);
    assert.equal(rows.rowOf(k), before ?? -1, `rowOf(${String(k)}) before adding`);
    const got = rows.rowOrAdd(k);
    if (before === undefined) {
      expected.set(k, expected.size);
      assert.equal(got, -expected.size, `a new key ${String(k)} gets the next row, returned as −(row + 1)`);
    } else {
      assert.equal(got, before, `a known key ${String(k)} keeps its row`);
    }
  }
  assert.equal(rows.size, expected.size);
  assert.deepEqual(rows.keys, [...expected.keys()]);
  for (const [k, row] of expected) assert.equal(rows.rowOf(k), row);
  return rows;
}

describe('KeyRows', () => {
  it('numbers integer keys in first-seen order through many rehashes, at the int32 edges too', () => {
    const rng = new Random(5);
    const keys: number[] = [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 128, 256, 1 << 20];
    for (let i = 0; i < 20_000; i++) keys.push(rng.chance(0.5) ? rng.int(-50, 5000) : rng.int(-(2 ** 31), 2 ** 31 - 1));
    const rows = checkAgainstMap(keys);
    assert.equal(rows.rowOf(-0), rows.rowOf(0), '-0 and 0 are one key, as in a Map');
    assert.equal(rows.rowOf(12.5), -1);
    assert.equal(rows.rowOf('0'), -1, 'the string "0" is not the number 0');
  });

  it('moves to a Map at the first key that is not an int32, keeping every row', () => {
    const rng = new Random(6);
    const keys: (string | number)[] = [];
    for (let i = 0; i < 3000; i++) keys.push(rng.int(1, 500));
    keys.push(2 ** 31, 'a', 0.5, '7', 7, -(2 ** 31) - 1, 'a');
    for (let i = 0; i < 3000; i++) keys.push(rng.chance(0.5) ? rng.int(1, 800) : `k${rng.int(1, 300)}`);
    checkAgainstMap(keys);
    checkAgainstMap(['x', 1, 'y', 1, 'x']);
  });
});
