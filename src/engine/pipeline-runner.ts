import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterTopic } from '../events/dead-letter.js';
import { pollBatch } from '../log/record-batch.js';
import type { Consumer, EventLog, ProducerRecord, TopicInfo, Transaction } from '../log/types.js';
import { diskWriteProblem } from '../util/disk-errors.js';
import { assertCompatible, CheckpointMismatchError, CHECKPOINT_NAMESPACE, encodeCheckpoint, loadCheckpoint, type Checkpoint } from './checkpoint.js';
import { loadMergeState, resetGroup } from './group-state.js';
import { lateTopic, resultRecord, sourceTopics, specFingerprint, type PipelineSpec } from './pipeline.js';
import { Intake } from './intake.js';
import { SourceLayout } from './source-layout.js';
import { WindowOperator, type WindowResult } from './window-operator.js';

export interface RunnerOptions {
  log: EventLog;
  /** Where to start when there is no checkpoint; given explicitly, it replaces the checkpoint. */
  from?: 'earliest' | 'latest';
  fromExplicit?: boolean;
  /** Process what the log holds, close the windows after the idle timeout, checkpoint, return. */
  exitWhenIdle?: boolean;
  signal?: AbortSignal;
  checkpointIntervalMs?: number;
  /** Records read per partition per read (default 1000). */
  readBatch?: number;
  onStatus?: (status: RunnerStatus) => void;
  /** Called once the start position is settled (after the checkpoint, if any, was accepted). */
  onStart?: (start: { from: 'checkpoint' | 'earliest' | 'latest'; events: number }) => void;
  now?: () => number;
  /**
   * Adds the owner's fencing condition to every checkpoint transaction (see `log/lease.ts`): a
   * runner that lost its ownership then fails its commit with a `FencedError` and writes nothing.
   */
  fence?: (tx: Transaction) => void;
  /** Told once when a checkpoint cannot be written because the disk is full or read-only, and once when it is written again. */
  onDiskProblem?: (problem: { kind: 'full' | 'read-only'; message: string } | null) => void;
}

export interface RunnerStatus {
  pipeline: string;
  processed: number;
  late: number;
  deadLettered: number;
  /** Events per second over the last status interval. */
  rate: number;
  lag: number;
  watermark: number | null;
  /** Processing time minus the watermark, ms (null before the first event). */
  watermarkDelayMs: number | null;
  openPanes: number;
  finals: number;
  checkpoints: number;
}

/** The consumer group a pipeline's source offsets are committed under (for `streamrec topics`). */
export function pipelineGroup(name: string): string {
  return `pipeline.${name}`;
}

/** Drops a pipeline's checkpoint (a single processor's or a group's, see `group-state.ts`) and group offsets: its next run starts at the earliest offset with empty state. Returns whether it had a checkpoint. */
export async function resetPipeline(log: EventLog, name: string): Promise<boolean> {
  const had = (await log.getState(CHECKPOINT_NAMESPACE, name)) !== null || (await resetGroup(log, name));
  const tx = log.transaction();
  tx.putState(CHECKPOINT_NAMESPACE, name, null);
  await tx.commit();
  await log.deleteGroup(pipelineGroup(name));
  return had;
}

/**
 * Runs a pipeline over an event log: reads every partition of its source topic(s), merges them by event time,
 * feeds the window operator, and commits outputs, late events, dead letters, operator state and
 * source positions in one transaction per checkpoint — so a crash at any moment followed by a
 * restart gives the same final results as an uninterrupted run.
 */
export async function runPipeline<E, X, S, R>(spec: PipelineSpec<E, X, S, R>, options: RunnerOptions): Promise<RunnerStatus> {
  const { log } = options;
  const now = options.now ?? Date.now;
  const checkpointEvery = options.checkpointIntervalMs ?? spec.checkpointIntervalMs ?? 1000;
  // Small reads keep little buffered: what is buffered survives garbage collections (the merge
  // holds a read of every partition), and copying it is most of the collector's cost.
  const readBatch = options.readBatch ?? 1000;
  const group = pipelineGroup(spec.name);
  const fingerprint = specFingerprint(spec as PipelineSpec<unknown, unknown, unknown, unknown>);

  const topics = sourceTopics(spec.source).map((t) => t.topic);
  const infos = await waitForTopics(log, topics, options);
  if (!infos) return emptyStatus(spec.name);
  const layout = SourceLayout.of(infos);

  const operator = new WindowOperator({
    windows: spec.windows,
    aggregate: spec.aggregate,
    outOfOrdernessMs: spec.outOfOrdernessMs,
    emitIntervalMs: spec.emitIntervalMs,
  });
  let deadLettered = 0;
  let positions: number[];
  if (await loadMergeState(log, spec.name)) {
    throw new CheckpointMismatchError(
      `pipeline ${spec.name} has the state of a group of processors (\`streamrec process --group\`), not of a single one. ` +
        `Run it with --group, or \`streamrec reset ${spec.name}\` to drop that state and reprocess from the earliest offset.`,
    );
  }
  const stored = options.fromExplicit ? null : await loadCheckpoint(log, spec.name);
  if (stored) {
    assertCompatible(spec.name, stored.fingerprint, fingerprint);
    // A topic given more partitions since (or fewer): the positions no longer say where each is.
    const storedPartitions = stored.partitions ?? [stored.positions.length];
    if (JSON.stringify(storedPartitions) !== JSON.stringify(layout.partitions)) {
      const shown = (counts: readonly number[]) => (counts.length === 1 ? counts[0] : counts);
      assertCompatible(spec.name, { partitions: shown(storedPartitions) }, { partitions: shown(layout.partitions) });
    }
    operator.restore(stored.operator);
    positions = stored.positions;
    deadLettered = stored.deadLettered;
    options.onStart?.({ from: 'checkpoint', events: operator.taken() + deadLettered });
  } else {
    const from = options.from ?? 'earliest';
    positions = layout.bounds(infos, from === 'earliest' ? 'startOffset' : 'endOffset');
    options.onStart?.({ from, events: 0 });
  }

  // One consumer an input, so the merge reads exactly the input it waits on.
  const consumers: Consumer[] = layout.slots.map(({ topic, partition }, i) => {
    const c = log.consumer({ group, topics: [topic], partitions: [{ topic, partition }], from: 'earliest' });
    c.seek(topic, partition, positions[i]!);
    return c;
  });

  const intake = new Intake(spec, operator, layout, positions, deadLettered);
  const { merge, lates, deadLetters } = intake;
  const outputs: ProducerRecord[] = [];
  const status: RunnerStatus = { ...emptyStatus(spec.name), deadLettered, late: operator.late, processed: operator.taken() };
  let lastCheckpoint = now();
  let lastStatus = now();
  let processedAtLastStatus = status.processed;
  let idleSince: number | null = null;

  const emit = (results: WindowResult<R>[]) => {
    if (results.length === 0) return;
    const emittedAt = now();
    for (const r of results) {
      outputs.push(resultRecord(spec as PipelineSpec<unknown, unknown, unknown, R>, r, emittedAt));
      if (r.final) status.finals++;
    }
  };

  let diskProblem: 'full' | 'read-only' | null = null;
  const checkpoint = async () => {
    emit(operator.takeFinals());
    // The buffers are cleared only once the transaction has committed: a commit that fails for a
    // full or read-only disk is retried with everything it held, so nothing is lost meanwhile.
    for (;;) {
      const tx = log.transaction();
      options.fence?.(tx);
      if (outputs.length) tx.send(spec.output.topic, outputs.slice());
      topics.forEach((topic, i) => {
        if (lates[i]!.length) tx.send(lateTopic(topic), lates[i]!.slice());
        if (deadLetters[i]!.length) tx.send(deadLetterTopic(topic), deadLetters[i]!.slice());
      });
      const state: Checkpoint = { fingerprint, positions: [...positions], operator: operator.snapshot(), deadLettered: intake.deadLettered, writtenAt: new Date(now()).toISOString() };
      // One topic: the checkpoint as it always was (its partitions are its positions' count).
      if (topics.length > 1) state.partitions = [...layout.partitions];
      tx.putState(CHECKPOINT_NAMESPACE, spec.name, encodeCheckpoint(state));
      tx.commitOffsets(group, layout.offsets(positions));
      try {
        await tx.commit();
      } catch (err) {
        const problem = diskWriteProblem(err);
        if (!problem || options.signal?.aborted) throw err;
        if (diskProblem !== problem) options.onDiskProblem?.({ kind: problem, message: err instanceof Error ? err.message : String(err) });
        diskProblem = problem;
        await sleep(1000);
        continue;
      }
      break;
    }
    if (diskProblem) options.onDiskProblem?.(null);
    diskProblem = null;
    outputs.length = 0;
    intake.clearSetAside();
    status.checkpoints++;
    lastCheckpoint = now();
  };

  const report = async () => {
    const t = now();
    status.lag = layout.lag(await Promise.all(topics.map((name) => log.topic(name))), positions);
    status.processed = operator.taken() + intake.deadLettered;
    status.rate = t > lastStatus ? ((status.processed - processedAtLastStatus) * 1000) / (t - lastStatus) : 0;
    status.late = operator.late;
    status.deadLettered = intake.deadLettered;
    const wm = operator.currentWatermark();
    status.watermark = Number.isFinite(wm) ? wm : null;
    status.watermarkDelayMs = Number.isFinite(wm) ? t - wm : null;
    status.openPanes = operator.openPanes();
    processedAtLastStatus = status.processed;
    lastStatus = t;
    options.onStatus?.({ ...status });
  };

  for (;;) {
    // Read every partition the merge is waiting on — and then every empty one again: a partition
    // found empty earlier may have data by now, and must not wait behind another's backlog.
    if (merge.needsRead().length > 0) merge.resetExhausted();
    for (const p of merge.needsRead()) intake.push(p, await pollBatch(consumers[p]!, { maxRecords: readBatch }));
    const took = intake.drain(emit);

    const t = now();
    if (took > 0) {
      idleSince = null;
    } else if (merge.buffered() === 0 && merge.needsRead().length === 0) {
      // Every partition came back empty: input is idle.
      idleSince ??= t;
      if (t - idleSince >= spec.idleTimeoutMs) {
        if (options.exitWhenIdle) {
          // The end of the input: every window closes, the results are written, the run ends.
          operator.closeAll();
          await checkpoint();
          break;
        }
        // Paused live input: close only what the wall clock allows (see `advanceIdle`), so the
        // resumed stream is on time. The moved watermark is checkpointed at once, in the same
        // transaction as the finals it closed: a replay restores it instead of re-deciding it.
        if (operator.advanceIdle(t)) await checkpoint();
      }
    }
    emit(operator.updates(t));
    if (t - lastCheckpoint >= checkpointEvery && (outputs.length || took > 0 || intake.hasSetAside())) await checkpoint();
    if (t - lastStatus >= 1000) await report();
    if (options.signal?.aborted) break;
    if (took === 0) {
      await sleep(20);
      merge.resetExhausted();
    } else if (merge.needsRead().length === 0 && merge.buffered() === 0) {
      merge.resetExhausted();
    }
  }
  await checkpoint();
  await report();
  for (const c of consumers) await c.close();
  return status;
}

/** The source topics' info once every one exists (null: not all exist and the run is not to wait). */
export async function waitForTopics(log: EventLog, names: readonly string[], options: Pick<RunnerOptions, 'exitWhenIdle' | 'signal'>): Promise<TopicInfo[] | null> {
  for (;;) {
    const infos = await Promise.all(names.map((name) => log.topic(name)));
    if (infos.every((i) => i !== null)) return infos as TopicInfo[];
    if (options.exitWhenIdle || options.signal?.aborted) return null;
    await sleep(100);
  }
}

function emptyStatus(pipeline: string): RunnerStatus {
  return { pipeline, processed: 0, late: 0, deadLettered: 0, rate: 0, lag: 0, watermark: null, watermarkDelayMs: null, openPanes: 0, finals: 0, checkpoints: 0 };
}
