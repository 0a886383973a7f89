import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SourceLayout } from '../../src/engine/source-layout.js';
import type { TopicInfo } from '../../src/log/types.js';

function info(name: string, ends: number[], starts: number[] = ends.map(() => 0)): TopicInfo {
  return {
    name,
    partitions: ends.map((endOffset, partition) => ({ partition, startOffset: starts[partition]!, endOffset, bytes: 0 })),
    retention: { maxAgeMs: null, maxBytes: null },
  };
}

describe('SourceLayout', () => {
  it('numbers a single topic\'s partitions 0…n-1, as checkpoints always had them', () => {
    const layout = new SourceLayout([{ name: 'ratings', partitions: 3 }]);
    assert.deepEqual(layout.slots.map((s) => [s.topic, s.partition]), [['ratings', 0], ['ratings', 1], ['ratings', 2]]);
    assert.deepEqual(layout.partitions, [3]);
  });

  it('numbers several topics topic by topic in the source\'s order, then by partition', () => {
    const layout = SourceLayout.of([info('transactions', [5, 7]), info('searches', [2, 0, 4])]);
    assert.deepEqual(
      layout.slots.map((s) => `${s.topicIndex}:${s.topic}/${s.partition}`),
      ['0:transactions/0', '0:transactions/1', '1:searches/0', '1:searches/1', '1:searches/2'],
    );
    assert.deepEqual(layout.partitions, [2, 3]);
    const positions = [1, 2, 3, 0, 4];
    assert.deepEqual(layout.offsets(positions), [
      { topic: 'transactions', partition: 0, offset: 1 },
      { topic: 'transactions', partition: 1, offset: 2 },
      { topic: 'searches', partition: 0, offset: 3 },
      { topic: 'searches', partition: 1, offset: 0 },
      { topic: 'searches', partition: 2, offset: 4 },
    ]);
    assert.equal(layout.lag([info('transactions', [5, 7]), info('searches', [2, 0, 4])], positions), 4 + 5 + 0 + 0 + 0);
    assert.equal(layout.lag([null, info('searches', [9, 9, 9])], positions), 6 + 9 + 5);
    assert.deepEqual(layout.bounds([info('transactions', [5, 7], [1, 2]), info('searches', [2, 0, 4])], 'startOffset'), [1, 2, 0, 0, 0]);
    assert.deepEqual(layout.bounds([info('transactions', [5, 7]), info('searches', [2, 0, 4])], 'endOffset'), [5, 7, 2, 0, 4]);
  });
});
