/**
 * The final results of a pipeline run as partition tasks (`partition-task.ts`): each task closes
 * a window on its own partition's watermark and hands over its partial state; a window's final
 * result is the merge of every task's partial once the slowest task has closed it — the group's
 * watermark is the minimum over the partitions (Flink's rule for a parallel source). Pure: the
 * reports come in, the finals and the new mark go out.
 *
 * Every figure of a final depends only on what each partition holds, never on which instance
 * processed which partition or when: lateness is decided per partition, the partial states merge
 * exactly, late counts add up, and the final's watermark and newest event time are the minimum
 * and maximum over the partitions that closed it. N instances give what one gives, value for value.
 */
import { mergedResult, type Aggregate } from './aggregate.js';
import type { WindowResult } from './window-operator.js';
import type { WindowSpec } from './windows.js';

/** A window a task closed: its partition's state for it and the figures of its closing. */
export interface SealedPartial {
  window: string;
  start: number;
  end: number;
  state: unknown;
  lateEvents: number;
  watermark: number | null;
  maxEventTime: number | null;
}

/** What a task tells the merge: its progress and the partials it sealed that the merge has not passed. */
export interface TaskReport {
  /** Every window of the task's partition ending at or before this is closed (null: none yet). */
  closedUpTo: number | null;
  /** The input ended (`--exit-when-idle`): the task closes nothing more and holds back nothing. */
  ended: boolean;
  /** Closed windows not yet merged (the task drops them once the merge's mark passes their end). */
  sealed: SealedPartial[];
}

/** Where the merge stands: every window ending at or before `emittedUpTo` has its final result (all, while `done`). */
export interface MergeMark {
  emittedUpTo: number | null;
  /**
   * Every task had ended (`--exit-when-idle`) and everything was merged. Not for ever: a task
   * given new input reads on, and the next merge finds the group not done.
   */
  done: boolean;
  /**
   * Where the group stood when it last ended: the latest window end any partition had closed.
   * A task given new input after that resumes from there (`PartitionTask.open`), the same point
   * whichever member opens it and when, so what arrives behind it is late — never counted in a
   * window whose final result is out.
   */
  endedAt: number | null;
}

export const START_MARK: MergeMark = { emittedUpTo: null, done: false, endedAt: null };

/**
 * The group's watermark over task reports, one a partition (a missing report: that partition has
 * not started, and holds everything back). An ended task holds back nothing.
 */
export function groupClosedUpTo(reports: readonly (Pick<TaskReport, 'closedUpTo' | 'ended'> | null)[]): number {
  let min = Infinity;
  for (const r of reports) {
    const t = r === null ? -Infinity : r.ended ? Infinity : (r.closedUpTo ?? -Infinity);
    if (t < min) min = t;
  }
  return min;
}

/**
 * The finals that became due since `mark`, oldest end first (window order on ties, as one window
 * operator orders them), and the new mark.
 */
export function mergeDue<In, S, Out>(
  windows: readonly WindowSpec[],
  aggregate: Aggregate<In, S, Out>,
  reports: readonly (TaskReport | null)[],
  mark: MergeMark,
): { finals: WindowResult<Out>[]; mark: MergeMark } {
  const upTo = groupClosedUpTo(reports);
  const done = upTo === Infinity;
  const from = mark.emittedUpTo ?? -Infinity;
  let endedAt = mark.endedAt ?? null;
  if (done) {
    for (const r of reports) if (r?.closedUpTo != null && (endedAt === null || r.closedUpTo > endedAt)) endedAt = r.closedUpTo;
  }
  if (!(upTo > from)) return { finals: [], mark: { emittedUpTo: mark.emittedUpTo, done, endedAt } };
  const byWindow = new Map<string, { spec: WindowSpec; start: number; end: number; parts: SealedPartial[] }>();
  const specs = new Map(windows.map((w) => [w.name, w]));
  for (const r of reports) {
    for (const p of r?.sealed ?? []) {
      if (p.end <= from || p.end > upTo) continue;
      const spec = specs.get(p.window);
      if (!spec) throw new Error(`a task sealed window ${p.window}, which the pipeline does not declare`);
      const id = `${p.window}@${p.start}`;
      let entry = byWindow.get(id);
      if (!entry) byWindow.set(id, (entry = { spec, start: p.start, end: p.end, parts: [] }));
      entry.parts.push(p);
    }
  }
  const order = new Map(windows.map((w, i) => [w.name, i]));
  const due = [...byWindow.values()].sort((a, b) => a.end - b.end || order.get(a.spec.name)! - order.get(b.spec.name)!);
  const finals = due.map(({ spec, start, end, parts }): WindowResult<Out> => {
    let lateEvents = 0;
    let watermark = Infinity;
    let maxEventTime = -Infinity;
    for (const p of parts) {
      lateEvents += p.lateEvents;
      watermark = Math.min(watermark, p.watermark ?? Infinity);
      maxEventTime = Math.max(maxEventTime, p.maxEventTime ?? -Infinity);
    }
    // In partition order: the same merge whatever the number of members.
    const result = mergedResult(aggregate, parts.map((p) => aggregate.fromJSON(p.state)));
    return { window: { spec, start, end }, result, final: true, lateEvents, watermark, maxEventTime };
  });
  // Done: every partial is merged; the mark keeps the last end, where a resumed group goes on from.
  const last = due.reduce((max, w) => Math.max(max, w.end), from);
  const emittedUpTo = done ? (Number.isFinite(last) ? last : mark.emittedUpTo) : upTo;
  return { finals, mark: { emittedUpTo, done, endedAt } };
}
