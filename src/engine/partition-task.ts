/**
 * One partition of a pipeline run as a group (`group-runner.ts`), as Kafka Streams runs a task:
 * partition p of every source topic, merged by event time, through a window operator of its own
 * whose watermark is this partition's. A window the partition's watermark passes is sealed: its
 * partial state goes to the window merge (`window-merge.ts`) under a key of its own, listed in the
 * task's progress. The
 * task's checkpoint — positions, operator, report, late events, dead letters, group offsets — is
 * one transaction, fenced by the task's lease: the task moves between instances with its state.
 */
import { deadLetterTopic } from '../events/dead-letter.js';
import { pollBatch } from '../log/record-batch.js';
import type { Consumer, EventLog, TopicInfo, Transaction } from '../log/types.js';
import { assertCompatible, parseState } from './checkpoint.js';
import { Intake } from './intake.js';
import { partialAggregate } from './partial-aggregate.js';
import { lateTopic, sourceTopics, type PipelineSpec } from './pipeline.js';
import { SourceLayout } from './source-layout.js';
import type { SealedPartial } from './window-merge.js';
import { WindowOperator, type OperatorSnapshot, type WindowResult } from './window-operator.js';

/** A task's checkpoint, keyed `<pipeline>/<partition>`. */
export const TASK_NAMESPACE = 'pipeline-task';
/** A task's progress for the merge, written beside its checkpoint (read without the operator's state). */
export const TASK_REPORT_NAMESPACE = 'pipeline-task-report';
/** Each sealed partial under a key of its own, so the merge reads only what it can merge now, once. */
export const TASK_PARTIAL_NAMESPACE = 'pipeline-task-partial';

export function taskKey(pipeline: string, partition: number): string {
  return `${pipeline}/${partition}`;
}

export function partialKey(pipeline: string, partition: number, seq: number): string {
  return `${pipeline}/${partition}/${seq}`;
}

/** A task's progress as stored: the merge's `TaskReport` with its partials by key. */
export interface TaskProgress {
  closedUpTo: number | null;
  /**
   * The end of the last window holding the partition's newest event (null before the first; absent
   * in progress written before it was kept): the group's furthest is how far an idle partition's
   * watermark may follow the others.
   */
  newestWindowEnd?: number | null;
  ended: boolean;
  /** The partials written and not yet passed by the merge's mark: [seq, window end], ends ascending. */
  partials: [number, number][];
  nextSeq: number;
}

interface TaskCheckpoint {
  fingerprint: Record<string, unknown>;
  /** Partitions per source topic when it was written. */
  partitions: number[];
  /** Next offset to process of partition p of each source topic, in the source's order. */
  positions: number[];
  operator: OperatorSnapshot;
  deadLettered: number;
  writtenAt: string;
}

/** A sealed partial not yet written, as its JSON text (see `partialAggregate`). */
interface PendingPartial {
  seq: number;
  end: number;
  json: string;
}

export class PartitionTask<E, X, S, R> {
  private ended: boolean;
  private written: [number, number][];
  private nextSeq: number;
  private pending: PendingPartial[] = [];
  /** What the checkpoint in flight changes once it commits. */
  private staged: { written: [number, number][]; pending: number } | null = null;
  private readonly intake: Intake<E, X, S, string>;
  private readonly operator: WindowOperator<X, S, string>;
  private idleSince: number | null = null;
  /** Something changed since the last checkpoint. */
  private changed = false;

  private constructor(
    private readonly spec: PipelineSpec<E, X, S, R>,
    readonly partition: number,
    private readonly layout: SourceLayout,
    private readonly consumers: Consumer[],
    operator: WindowOperator<X, S, string>,
    positions: number[],
    deadLettered: number,
    progress: TaskProgress,
  ) {
    this.operator = operator;
    this.ended = progress.ended;
    this.written = progress.partials;
    this.nextSeq = progress.nextSeq;
    this.intake = new Intake<E, X, S, string>(spec, operator, layout, positions, deadLettered);
  }

  /** Whether the partition's input ended (`--exit-when-idle`): nothing more is read. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * The task of partition `p`, from its checkpoint or (none yet) from the earliest offsets. A task
   * that ended (`--exit-when-idle`) and has new input since reads on, from `resumeAt` — the end of
   * the group's last final results — so that what arrives behind it is late, not counted anew.
   */
  static async open<E, X, S, R>(
    spec: PipelineSpec<E, X, S, R>,
    log: EventLog,
    infos: readonly TopicInfo[],
    p: number,
    group: string,
    fingerprint: Record<string, unknown>,
    resumeAt: number | null,
  ): Promise<PartitionTask<E, X, S, R>> {
    const layout = SourceLayout.of(infos, p);
    const operator = new WindowOperator<X, S, string>({
      windows: spec.windows,
      aggregate: partialAggregate(spec.aggregate),
      outOfOrdernessMs: spec.outOfOrdernessMs,
    });
    const key = taskKey(spec.name, p);
    const stored = parseState<TaskCheckpoint>(await log.getState(TASK_NAMESPACE, key));
    const progress = parseState<TaskProgress>(await log.getState(TASK_REPORT_NAMESPACE, key)) ?? { closedUpTo: null, ended: false, partials: [], nextSeq: 0 };
    let positions: number[];
    let deadLettered = 0;
    if (stored) {
      assertCompatible(spec.name, stored.fingerprint, fingerprint);
      assertCompatible(spec.name, { partitions: stored.partitions }, { partitions: layout.partitions });
      operator.restore(stored.operator);
      positions = stored.positions;
      deadLettered = stored.deadLettered;
    } else {
      positions = layout.bounds(infos, 'startOffset');
    }
    const consumers = layout.slots.map(({ topic, partition }, i) => {
      const c = log.consumer({ group, topics: [topic], partitions: [{ topic, partition }], from: 'earliest' });
      c.seek(topic, partition, positions[i]!);
      return c;
    });
    const task = new PartitionTask(spec, p, layout, consumers, operator, positions, deadLettered, progress);
    const current = await Promise.all(sourceTopics(spec.source).map((t) => log.topic(t.topic)));
    if (task.ended && layout.lag(current, positions) > 0) task.resume(resumeAt);
    return task;
  }

  private resume(resumeAt: number | null): void {
    this.ended = false;
    this.changed = true;
    if (resumeAt !== null) {
      this.operator.advanceTo(resumeAt);
      this.seal(this.operator.takeFinals());
    }
  }

  /** Valid and rejected records taken since the pipeline started (on this partition). */
  taken(): number {
    return this.operator.taken() + this.intake.deadLettered;
  }

  get late(): number {
    return this.operator.late;
  }

  get deadLettered(): number {
    return this.intake.deadLettered;
  }

  /** Source records not yet taken, given the topics' current info. */
  lag(infos: readonly (TopicInfo | null)[]): number {
    return this.layout.lag(infos, this.intake.positions);
  }

  /** The end of the last window holding this partition's newest event (-Infinity before the first). */
  newestWindowEnd(): number {
    return this.operator.newestWindowEnd();
  }

  /**
   * Reads what the merge waits on and takes what it can; then, when the partition has been idle
   * for the idle timeout, ends it (`exitWhenIdle`) or lets its watermark follow the clock up to
   * `groupWindowEnd` — the furthest `newestWindowEnd` over the group's partitions — so that it
   * never holds the others' windows back, nor jumps past what the group has seen (an idle group
   * started before a backfill of old events must not call them all late). Returns the records taken.
   */
  async step(now: number, options: { readBatch: number; exitWhenIdle: boolean; groupWindowEnd: number }): Promise<number> {
    if (this.ended) return 0;
    const { merge } = this.intake;
    if (merge.needsRead().length > 0) merge.resetExhausted();
    for (const i of merge.needsRead()) this.intake.push(i, await pollBatch(this.consumers[i]!, { maxRecords: options.readBatch }));
    const took = this.intake.drain((results) => this.seal(results));
    if (took > 0) {
      this.idleSince = null;
      this.changed = true;
    } else if (merge.buffered() === 0 && merge.needsRead().length === 0) {
      this.idleSince ??= now;
      if (now - this.idleSince >= this.spec.idleTimeoutMs) {
        if (options.exitWhenIdle) {
          this.operator.closeAll();
          this.seal(this.operator.takeFinals());
          this.ended = true;
          this.changed = true;
        } else if (this.operator.advanceIdle(now, Math.max(options.groupWindowEnd, this.operator.newestWindowEnd()))) {
          this.seal(this.operator.takeFinals());
          this.changed = true;
        }
      }
    }
    if (took === 0 || (merge.needsRead().length === 0 && merge.buffered() === 0)) merge.resetExhausted();
    return took;
  }

  /** Whether a checkpoint has something to write: progress, set-aside records, or partials the merge has `passed` to delete. */
  dirty(passed: (end: number) => boolean): boolean {
    return this.changed || this.intake.hasSetAside() || this.written.some(([, end]) => passed(end));
  }

  /**
   * Adds the checkpoint to `tx` (the caller fences and commits it, then calls `committed`): the
   * partials sealed since the last one, each under its key, and the deletion of those the merge
   * has `passed` (the window ending then has its final result).
   */
  checkpoint(tx: Transaction, group: string, fingerprint: Record<string, unknown>, passed: (end: number) => boolean, now: number): void {
    const name = this.spec.name;
    for (const [seq, end] of this.written) if (passed(end)) tx.putState(TASK_PARTIAL_NAMESPACE, partialKey(name, this.partition, seq), null);
    for (const p of this.pending) tx.putState(TASK_PARTIAL_NAMESPACE, partialKey(name, this.partition, p.seq), p.json);
    const written: [number, number][] = [...this.written.filter(([, end]) => !passed(end)), ...this.pending.map((p): [number, number] => [p.seq, p.end])];
    this.staged = { written, pending: this.pending.length };
    const closed = this.operator.closedUpTo();
    const newest = this.operator.newestWindowEnd();
    const progress: TaskProgress = {
      closedUpTo: Number.isFinite(closed) ? closed : null,
      newestWindowEnd: Number.isFinite(newest) ? newest : null,
      ended: this.ended,
      partials: written,
      nextSeq: this.nextSeq,
    };
    const topics = sourceTopics(this.spec.source);
    topics.forEach((t, i) => {
      if (this.intake.lates[i]!.length) tx.send(lateTopic(t.topic), this.intake.lates[i]!.slice());
      if (this.intake.deadLetters[i]!.length) tx.send(deadLetterTopic(t.topic), this.intake.deadLetters[i]!.slice());
    });
    const state: TaskCheckpoint = {
      fingerprint,
      partitions: [...this.layout.partitions],
      positions: [...this.intake.positions],
      operator: this.operator.snapshot(),
      deadLettered: this.intake.deadLettered,
      writtenAt: new Date(now).toISOString(),
    };
    const key = taskKey(this.spec.name, this.partition);
    tx.putState(TASK_NAMESPACE, key, JSON.stringify(state));
    tx.putState(TASK_REPORT_NAMESPACE, key, JSON.stringify(progress));
    tx.commitOffsets(group, this.layout.offsets(this.intake.positions));
  }

  /** The checkpoint's transaction committed: what it held is written. */
  committed(): void {
    this.intake.clearSetAside();
    this.changed = false;
    if (this.staged) {
      this.written = this.staged.written;
      this.pending.splice(0, this.staged.pending);
      this.staged = null;
    }
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.close();
  }

  private seal(results: WindowResult<string>[]): void {
    for (const r of results) {
      // The fields of a `SealedPartial`, its state spliced in as the JSON text it already is.
      const head = JSON.stringify({
        window: r.window.spec.name,
        start: r.window.start,
        end: r.window.end,
        lateEvents: r.lateEvents,
        watermark: Number.isFinite(r.watermark) ? r.watermark : null,
        maxEventTime: Number.isFinite(r.maxEventTime) ? r.maxEventTime : null,
      } satisfies Omit<SealedPartial, 'state'>);
      this.pending.push({ seq: this.nextSeq++, end: r.window.end, json: `${head.slice(0, -1)},"state":${r.result}}` });
    }
  }
}
