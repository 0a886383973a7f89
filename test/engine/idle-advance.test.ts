/**
 * Idle input through the real runner and log: a pause closes only what the wall clock allows, the
 * resumed live stream is on time, the idle watermark is checkpointed (a restart keeps it and
 * writes no final twice), and `exitWhenIdle` still closes everything at the end. The runner's
 * clock is the real one shifted, so a two-minute pause takes no two minutes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { count } from '../../src/engine/aggregates/index.js';
import type { PipelineSpec } from '../../src/engine/pipeline.js';
import { pipelineGroup, runPipeline, type RunnerStatus } from '../../src/engine/pipeline-runner.js';
import { sliding, tumbling } from '../../src/engine/windows.js';
import { jsonCodec } from '../../src/events/codec.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../src/log/types.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 10, 12); // a minute boundary
const Tap = z.object({ t: z.number().int() });
type Tap = z.infer<typeof Tap>;

type Out = {
  type: string;
  start: number;
  n: number;
  late: number;
  final: boolean;
};

const spec: PipelineSpec<Tap, Tap, unknown, number> = {
  name: 'taps',
  source: { topic: 'taps', codec: jsonCodec('tap', Tap) },
  eventTime: (e) => e.t,
  enrich: (e) => e,
  windows: [tumbling('tumbling_1min', MIN), sliding('sliding_5min', 5 * MIN, MIN)],
  aggregate: count(),
  outOfOrdernessMs: 5_000,
  idleTimeoutMs: 300,
  emitIntervalMs: 100,
  checkpointIntervalMs: 100,
  stateVersion: 1,
  output: { topic: 'taps.out', format: (n, ctx): Out => ({ type: ctx.window.spec.name, start: ctx.window.start, n, late: ctx.lateEvents, final: ctx.final }) },
};

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const consumer = log.consumer({ group: `read-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (let b = await consumer.poll({ maxRecords: 10_000 }); b.length > 0; b = await consumer.poll({ maxRecords: 10_000 })) out.push(...b);
  await consumer.close();
  return out;
}

const finals = async (log: EventLog) => (await readAll(log, 'taps.out')).map((r) => JSON.parse(r.value as string) as Out).filter((o) => o.final);

describe('idle input', () => {
  it('closes what the wall clock allows, keeps the resumed stream on time, and survives a restart', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    // The runner's clock: real time moved to 10 s after T0; `pause` jumps it forward.
    let shift = T0 + 10_000 - Date.now();
    const now = () => Date.now() + shift;
    const send = (times: number[]) => log.producer().send('taps', times.map((t) => ({ value: JSON.stringify({ t }), timestamp: t })));
    const caughtUp = async () => {
      const info = (await log.topic('taps'))!;
      const committed = await log.committed(pipelineGroup('taps'), 'taps');
      return info.partitions.every((p) => committed.find((c) => c.partition === p.partition)?.offset === p.endOffset);
    };
    const statuses: RunnerStatus[] = [];
    try {
      await log.ensureTopic('taps', { partitions: 2 });
      let stop = new AbortController();
      let run = runPipeline(spec, { log, signal: stop.signal, now, onStatus: (s) => statuses.push(s) });

      const first = Array.from({ length: 100 }, (_, i) => now() + i);
      await send(first);
      await waitAsync(caughtUp, 'the first burst processed');
      assert.deepEqual(await finals(log), [], 'a short pause closes nothing: now − 5 s is behind the watermark');

      // A two-minute pause: the watermark may go to now − 5 s (2 min, rounded down to the pane),
      // which closes the minute of the first burst and the sliding windows ending by then.
      shift += 2 * MIN;
      await waitAsync(async () => (await finals(log)).length === 3, 'the idle close written');
      assert.deepEqual((await finals(log)).map((f) => [f.type, f.start - T0, f.n]), [
        ['tumbling_1min', 0, 100],
        ['sliding_5min', -4 * MIN, 100],
        ['sliding_5min', -3 * MIN, 100],
      ]);

      // Input resumes: every event stamped now is on time; one for the closed minute is late for
      // it (and for the sliding windows already final) and still counts in the open ones.
      const resumed = Array.from({ length: 100 }, (_, i) => now() + i);
      await send([...resumed, T0 + 30_000]);
      await waitAsync(caughtUp, 'the resumed stream processed');
      const late = await readAll(log, 'taps.late');
      assert.deepEqual(late.map((r) => [(JSON.parse(r.value as string) as Tap).t - T0, r.headers?.counted]), [[30_000, 'partly']], 'only the event for the closed minute is late');

      // A restart resumes with the idle watermark and writes no final twice.
      stop.abort();
      await run;
      const watermarkBefore = statuses.at(-1)!.watermark!;
      assert.ok(watermarkBefore >= T0 + 2 * MIN, 'the idle watermark');
      stop = new AbortController();
      statuses.length = 0;
      run = runPipeline(spec, { log, signal: stop.signal, now });
      await new Promise((r) => setTimeout(r, 500));
      stop.abort();
      const restarted = await run;
      assert.ok(restarted.watermark! >= watermarkBefore, 'restored from the checkpoint, not re-decided');
      assert.equal((await finals(log)).length, 3, 'no final written again');

      // The end of input (--exit-when-idle) closes everything, as before.
      const end = await runPipeline(spec, { log, now, exitWhenIdle: true });
      assert.equal(end.processed, 201);
      const all = await finals(log);
      const keys = all.map((f) => `${f.type}@${f.start}`);
      assert.equal(new Set(keys).size, keys.length, 'one final per window');
      const tumblingFinals = all.filter((f) => f.type === 'tumbling_1min');
      assert.deepEqual(tumblingFinals.map((f) => [f.start - T0, f.n, f.late]), [[0, 100, 0], [2 * MIN, 100, 1]]);
      const sliding = all.filter((f) => f.type === 'sliding_5min').map((f) => [f.start - T0, f.n, f.late]);
      assert.deepEqual(sliding, [[-4 * MIN, 100, 0], [-3 * MIN, 100, 0], [-2 * MIN, 201, 2], [-MIN, 201, 0], [0, 201, 0], [MIN, 100, 0], [2 * MIN, 100, 0]],
        'the late event counts in the sliding windows still open when it came, and is late for the 2 already final');
    } finally {
      await log.close();
      cleanup();
    }
  });
});

/** Polls an async condition (every 50 ms, up to 20 s: the machine may be busy). */
async function waitAsync(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
