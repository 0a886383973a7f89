/**
 * A source of several topics through the real runner and log: records merged by event time, ties
 * by topic order then partition; late events and dead letters each in their own topic's
 * `.late`/`.dlq`; a checkpoint with one position a topic and partition that a restart resumes
 * from, and group offsets per topic; a changed topic list or partition count refused with the
 * fix named; a single-topic spec's fingerprint as it always was.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CheckpointMismatchError, loadCheckpoint } from '../../src/engine/checkpoint.js';
import type { Aggregate } from '../../src/engine/aggregate.js';
import { lateTopic, specFingerprint, type PipelineSpec } from '../../src/engine/pipeline.js';
import { pipelineGroup, runPipeline } from '../../src/engine/pipeline-runner.js';
import { tumbling } from '../../src/engine/windows.js';
import { jsonCodec } from '../../src/events/codec.js';
import { deadLetterTopic } from '../../src/events/dead-letter.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../src/log/types.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2025, 10, 10, 12);
const Tick = z.object({ id: z.string(), t: z.number().int() });
type Tick = z.infer<typeof Tick>;

/** The ids in the order the window took them: the merge order, made visible. */
const inOrder: Aggregate<Tick, string[], string[]> = {
  create: () => [],
  add: (s, e) => void s.push(e.id),
  mergeInto: (target, source) => void target.push(...source),
  result: (s) => [...s],
  toJSON: (s) => s,
  fromJSON: (j) => [...(j as string[])],
};

function spec(topics: string[], name = 'ticks'): PipelineSpec<Tick, Tick, string[], string[]> {
  const [first, ...rest] = topics.map((topic) => ({ topic, codec: jsonCodec(`${topic} tick`, Tick) }));
  return {
    name,
    source: { topics: [first!, ...rest] },
    eventTime: (e) => e.t,
    enrich: (e) => e,
    windows: [tumbling('w10s', 10_000)],
    aggregate: inOrder,
    outOfOrdernessMs: 1000,
    idleTimeoutMs: 200,
    emitIntervalMs: 1000,
    stateVersion: 1,
    output: { topic: `${name}.out`, format: (ids, ctx) => ({ start: ctx.window.start, ids, final: ctx.final, late: ctx.lateEvents }) },
  };
}

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const c = log.consumer({ group: `read-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (let b = await c.poll({ maxRecords: 10_000 }); b.length > 0; b = await c.poll({ maxRecords: 10_000 })) out.push(...b);
  await c.close();
  return out;
}

async function finals(log: EventLog, topic: string): Promise<{ start: number; ids: string[]; late: number }[]> {
  return (await readAll(log, topic))
    .map((r) => JSON.parse(r.value as string) as { start: number; ids: string[]; final: boolean; late: number })
    .filter((r) => r.final)
    .map(({ start, ids, late }) => ({ start, ids, late }));
}

async function send(log: EventLog, topic: string, partition: number, ticks: (Tick | string)[]): Promise<void> {
  const p = log.producer();
  await p.send(topic, ticks.map((x) => ({ partition, value: typeof x === 'string' ? x : JSON.stringify(x) })));
  await p.close();
}

describe('a pipeline source of several topics', () => {
  it('merges them by event time, ties by topic order then partition, each late event and dead letter in its own topic', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await log.createTopic('b', { partitions: 1 });
      await log.createTopic('a', { partitions: 2 });
      // Equal times across topics and partitions: a/0, a/1, then b/0 (the spec lists a before b).
      await send(log, 'b', 0, [{ id: 'b0@1', t: T0 + 1000 }, { id: 'b0@3', t: T0 + 3000 }, { id: 'b0@20', t: T0 + 20_000 }, 'not json', { id: 'b0-late@2', t: T0 + 2000 }]);
      await send(log, 'a', 1, [{ id: 'a1@1', t: T0 + 1000 }, { id: 'a1@2', t: T0 + 2000 }, { id: 'a1@25', t: T0 + 25_000 }]);
      await send(log, 'a', 0, [{ id: 'a0@1', t: T0 + 1000 }, { id: 'a0@3', t: T0 + 3000 }, { id: 'a0@12', t: T0 + 12_000 }, { id: 'a0-late@4', t: T0 + 4000 }, { bad: true } as unknown as Tick]);

      const status = await runPipeline(spec(['a', 'b']), { log, exitWhenIdle: true });
      const out = await finals(log, 'ticks.out');
      assert.deepEqual(out.map((f) => [f.start - T0, f.ids]), [
        [0, ['a0@1', 'a1@1', 'b0@1', 'a1@2', 'a0@3', 'b0@3']],
        [10_000, ['a0@12']],
        [20_000, ['b0@20', 'a1@25']],
      ]);
      // Late: each in its topic's .late, with where it was read; rejected: each in its topic's .dlq.
      assert.equal(status.late, 2);
      const lateA = await readAll(log, lateTopic('a'));
      const lateB = await readAll(log, lateTopic('b'));
      assert.deepEqual(lateA.map((r) => [JSON.parse(r.value as string).id, r.headers!.source_partition, r.headers!.source_offset]), [['a0-late@4', '0', '3']]);
      assert.deepEqual(lateB.map((r) => [JSON.parse(r.value as string).id, r.headers!.source_partition, r.headers!.source_offset]), [['b0-late@2', '0', '4']]);
      assert.equal(out.reduce((n, f) => n + f.late, 0), 2);
      assert.deepEqual((await readAll(log, deadLetterTopic('a'))).map((r) => r.headers!.source_topic), ['a']);
      assert.deepEqual((await readAll(log, deadLetterTopic('b'))).map((r) => [r.value, r.headers!.source_topic]), [['not json', 'b']]);

      // The checkpoint: one position a topic and partition, in the spec's order; the group's offsets per topic.
      const cp = (await loadCheckpoint(log, 'ticks'))!;
      assert.deepEqual(cp.positions, [5, 3, 5]);
      assert.deepEqual(cp.partitions, [2, 1]);
      assert.deepEqual(cp.fingerprint.source, ['a', 'b']);
      assert.deepEqual((await log.committed(pipelineGroup('ticks'), 'a')).map((c) => [c.partition, c.offset]), [[0, 5], [1, 3]]);
      assert.deepEqual((await log.committed(pipelineGroup('ticks'), 'b')).map((c) => [c.partition, c.offset]), [[0, 5]]);

      // A restart resumes from the checkpoint: only what came after is read.
      await send(log, 'b', 0, [{ id: 'b0@31', t: T0 + 31_000 }]);
      await runPipeline(spec(['a', 'b']), { log, exitWhenIdle: true });
      assert.deepEqual((await finals(log, 'ticks.out')).map((f) => f.ids), [['a0@1', 'a1@1', 'b0@1', 'a1@2', 'a0@3', 'b0@3'], ['a0@12'], ['b0@20', 'a1@25'], ['b0@31']]);
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('refuses a checkpoint written for other topics or partition counts, naming the reset', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await log.createTopic('a', { partitions: 1 });
      await log.createTopic('b', { partitions: 1 });
      await log.createTopic('c', { partitions: 1 });
      await send(log, 'a', 0, [{ id: 'a', t: T0 }]);
      await runPipeline(spec(['a', 'b']), { log, exitWhenIdle: true });
      await assert.rejects(runPipeline(spec(['a', 'b', 'c']), { log, exitWhenIdle: true }), (err: unknown) => {
        assert.ok(err instanceof CheckpointMismatchError);
        assert.match(err.message, /source was \["a","b"\], is now \["a","b","c"\]/);
        assert.match(err.message, /streamrec reset ticks/);
        return true;
      });
      // A topic with more partitions than the checkpoint knows.
      await log.deleteTopic('b');
      await log.createTopic('b', { partitions: 3 });
      await assert.rejects(runPipeline(spec(['a', 'b']), { log, exitWhenIdle: true }), /partitions was \[1,1\], is now \[1,3\].*streamrec reset ticks/);
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('keeps a single-topic spec\'s fingerprint as before (its topic as a string), so its checkpoints stay valid', () => {
    const single: PipelineSpec<Tick, Tick, string[], string[]> = { ...spec(['a']), source: { topic: 'ratings', codec: jsonCodec('tick', Tick) } };
    assert.deepEqual(specFingerprint(single as PipelineSpec<unknown, unknown, unknown, unknown>), {
      name: 'ticks',
      source: 'ratings',
      output: 'ticks.out',
      windows: ['w10s:10000/10000'],
      allowedLatenessMs: 1000,
      stateVersion: 1,
    });
  });
});
