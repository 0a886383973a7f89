import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IdIndex } from '../../../../src/recommend/data/interactions.js';
import { CallScratch } from '../../../../src/recommend/models/item-item/call-scratch.js';
import { rowNeighbours } from '../../../../src/recommend/models/item-item/neighbour-rows.js';
import { topScored } from '../../../../src/recommend/models/item-item/top-scored.js';

describe('CallScratch', () => {
  it('sums from 0 where a call reaches, in the order reached; a new call forgets the last one', () => {
    const s = new CallScratch(5);
    s.begin();
    s.add(3, 0.5);
    s.add(1, 2);
    s.add(3, 0.25);
    assert.deepEqual(s.touched, [3, 1]);
    assert.equal(s.sum(3), 0.75);
    assert.equal(s.sum(0), 0);
    assert.equal(s.markRated(2), true);
    assert.equal(s.markRated(2), false, 'listed twice');
    assert.equal(s.markOffered(4), true);
    assert.equal(s.markOffered(4), false);
    s.begin();
    assert.deepEqual(s.touched, []);
    assert.equal(s.sum(3), 0);
    assert.equal(s.isRated(2), false);
    assert.equal(s.markOffered(4), true);
    s.add(3, 1);
    assert.equal(s.sum(3), 1);
  });
});

describe('topScored', () => {
  // Dense indices 0..4 are raw ids 10, 20, 30, 40, 50.
  const index = new IdIndex(Int32Array.from([10, 20, 30, 40, 50]));
  const scored = (options: Parameters<typeof topScored>[0]['options']) => {
    const scratch = new CallScratch(5);
    scratch.begin();
    scratch.markRated(0);
    for (const [j, v] of [[1, 3], [2, 1], [3, 3], [0, 9]]) scratch.add(j, v);
    return topScored({ n: 3, options, index, scratch, kernel: 'sparse' });
  };

  it('ranks what the kernel reached, best first, ties by id, never the history or the excluded', () => {
    assert.deepEqual(scored({}), [{ movieId: 20, score: 3 }, { movieId: 40, score: 3 }, { movieId: 30, score: 1 }]);
    assert.deepEqual(scored({ exclude: (id) => id === 20 }).map((s) => s.movieId), [40, 30]);
  });

  it('with candidates, ranks the known ones (unreached at 0), each once however often listed', () => {
    const candidates = Int32Array.from([50, 30, 30, 10, 99]);
    assert.deepEqual(scored({ candidates }), [{ movieId: 30, score: 1 }, { movieId: 50, score: 0 }]);
  });

  it('after a dense kernel, ranks every index', () => {
    const scratch = new CallScratch(5);
    scratch.begin();
    scratch.markRated(4);
    scratch.score.set([0.5, -1, 2, 0, 7]);
    const top = topScored({ n: 10, options: {}, index, scratch, kernel: 'dense' });
    assert.deepEqual(top.map((s) => s.movieId), [30, 10, 40, 20]);
  });
});

describe('rowNeighbours', () => {
  it('lists the first n of a row as raw ids, scored by place', () => {
    const ptr = Int32Array.from([0, 2, 2, 5]);
    const ids = Int32Array.from([2, 1, 0, 1, 2]);
    const movieIds = Int32Array.from([7, 8, 9]);
    assert.deepEqual(rowNeighbours(ptr, ids, movieIds, 2, 2, (k) => k / 10), [{ movieId: 7, score: 0.2 }, { movieId: 8, score: 0.3 }]);
    assert.deepEqual(rowNeighbours(ptr, ids, movieIds, 1, 5, () => 1), []);
  });
});
