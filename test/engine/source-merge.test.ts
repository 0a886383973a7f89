import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SourceMerge } from '../../src/engine/source-merge.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { pollBatch, RecordArrayBatch } from '../../src/log/record-batch.js';
import type { LogRecord, RecordBatch } from '../../src/log/types.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers/tmp.js';

function batchOf(partition: number, offsets: number[]): RecordBatch {
  return new RecordArrayBatch(
    offsets.map((offset): LogRecord => ({ topic: 't', partition, offset, timestamp: 0, key: null, value: `${partition}/${offset}`, headers: null })),
  );
}

/** Takes until the merge needs a read; returns "partition/offset@time" of each record taken. */
function drain(merge: SourceMerge<string>): string[] {
  const out: string[] = [];
  while (merge.take()) {
    assert.equal(merge.value, merge.batch.value(merge.index), 'value and record stay together');
    out.push(`${merge.batch.value(merge.index)}@${merge.time}`);
  }
  return out;
}

describe('SourceMerge', () => {
  it('takes records in event-time order across partitions, ties by partition, and waits for a partition it has no head for', () => {
    const merge = new SourceMerge<string>(3);
    assert.deepEqual(merge.needsRead(), [0, 1, 2]);
    merge.push(0, batchOf(0, [0, 1]), [5, 20], ['0/0', '0/1']);
    merge.push(1, batchOf(1, [0, 1, 2]), [5, 7, 30], ['1/0', '1/1', '1/2']);
    assert.equal(merge.take(), false, 'partition 2 may hold an earlier event: read it first');
    merge.push(2, batchOf(2, []), [], []);
    // 2 is exhausted for now; 0 runs dry after 20, so nothing past it can be taken.
    assert.deepEqual(drain(merge), ['0/0@5', '1/0@5', '1/1@7', '0/1@20']);
    assert.deepEqual(merge.needsRead(), [0]);
    assert.equal(merge.buffered(), 1);
    merge.push(0, batchOf(0, []), [], []);
    assert.deepEqual(drain(merge), ['1/2@30']);
    assert.deepEqual(merge.needsRead(), [1]);
    merge.push(1, batchOf(1, []), [], []);
    assert.equal(merge.take(), false, 'every partition exhausted');
    assert.deepEqual(merge.needsRead(), []);
    merge.resetExhausted();
    assert.deepEqual(merge.needsRead(), [0, 1, 2]);
  });

  it('gives rejected records (time -Infinity) as soon as they are the head, in partition order', () => {
    const merge = new SourceMerge<string>(2);
    merge.push(0, batchOf(0, [0, 1, 2]), [10, -Infinity, 12], ['0/0', '0/1', '0/2']);
    merge.push(1, batchOf(1, [0]), [11], ['1/0']);
    assert.deepEqual(drain(merge), ['0/0@10', '0/1@-Infinity', '1/0@11']);
  });

  it('gives the same order however the partitions were split into reads', () => {
    const rng = new Random(9);
    const partitions = Array.from({ length: 4 }, (_, p) => {
      let t = 0;
      return Array.from({ length: 200 }, (_, offset) => ({ offset, time: (t += rng.int(0, 3)), value: `${p}/${offset}` }));
    });
    const run = (readSize: () => number): string[] => {
      const merge = new SourceMerge<string>(partitions.length);
      const next = partitions.map(() => 0);
      const out: string[] = [];
      for (;;) {
        for (const p of merge.needsRead()) {
          const items = partitions[p]!.slice(next[p], next[p]! + readSize());
          next[p] = next[p]! + items.length;
          merge.push(p, batchOf(p, items.map((x) => x.offset)), items.map((x) => x.time), items.map((x) => x.value));
        }
        const taken = drain(merge);
        out.push(...taken);
        if (taken.length === 0 && merge.needsRead().length === 0) return out;
      }
    };
    const whole = run(() => 1000);
    assert.equal(whole.length, 800);
    assert.deepEqual(run(() => 1), whole);
    assert.deepEqual(run(() => rng.int(1, 50)), whole);
  });

  it('refuses a read into a partition that still holds records, and mismatched columns', () => {
    const merge = new SourceMerge<string>(1);
    merge.push(0, batchOf(0, [0, 1]), [1, 2], ['a', 'b']);
    assert.throws(() => merge.push(0, batchOf(0, [2]), [3], ['c']), /input 0 still has 2 records/);
    assert.throws(() => new SourceMerge<string>(1).push(0, batchOf(0, [0]), [], ['a']), /1 records, 0 times and 1 values/);
  });
});

describe('RecordBatch reads of the embedded log', () => {
  it('hold what poll returns, building whole records only when asked', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await log.createTopic('t', { partitions: 2 });
      await log.producer().send('t', [
        { value: 'a', partition: 0, key: 'k1', timestamp: 1000, headers: { h: '1' } },
        { value: 'b', partition: 1, timestamp: 2000 },
        { value: 'c', partition: 0, key: null, timestamp: 3000 },
        { value: new Uint8Array([1, 2]), partition: 1, key: 'k2', timestamp: 4000 },
      ]);
      const polled = await log.consumer({ group: 'a', topics: ['t'] }).poll({ maxRecords: 10 });
      const batch = await pollBatch(log.consumer({ group: 'b', topics: ['t'] }), { maxRecords: 10 });
      assert.equal(batch.length, 4);
      const records = Array.from({ length: batch.length }, (_, i) => batch.record(i));
      assert.deepEqual(records, polled);
      assert.deepEqual(
        Array.from({ length: batch.length }, (_, i) => [batch.partition(i), batch.offset(i), batch.value(i)]),
        polled.map((r) => [r.partition, r.offset, r.value]),
      );
      assert.throws(() => batch.record(4), RangeError);

      // One partition per consumer, as the pipeline runner reads; then caught up.
      const one = log.consumer({ group: 'c', topics: ['t'], partitions: [{ topic: 't', partition: 1 }] });
      const first = await pollBatch(one, { maxRecords: 1 });
      assert.deepEqual([first.length, first.offset(0), first.value(0)], [1, 0, 'b']);
      const second = await pollBatch(one, { maxRecords: 5 });
      assert.deepEqual(second.record(0), polled.find((r) => r.partition === 1 && r.offset === 1));
      assert.equal((await pollBatch(one)).length, 0);
    } finally {
      await log.close();
      cleanup();
    }
  });
});
