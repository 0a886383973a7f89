/**
 * Where a pipeline run as a group (`group-runner.ts`) keeps its state beside the tasks' own
 * (`partition-task.ts`): the merge's mark, and the partition count `streamrec reset` needs.
 */
import type { EventLog } from '../log/types.js';
import { parseState } from './checkpoint.js';
import { partialKey, TASK_NAMESPACE, TASK_PARTIAL_NAMESPACE, TASK_REPORT_NAMESPACE, taskKey, type TaskProgress } from './partition-task.js';
import type { MergerLoad } from './group-share.js';
import type { MergeMark } from './window-merge.js';

/** The merge's state, keyed by pipeline name. */
export const MERGE_NAMESPACE = 'pipeline-merge';

export interface MergeState {
  fingerprint: Record<string, unknown>;
  partitions: number;
  mark: MergeMark;
  /** The merging member and what its merging weighs (see `group-share.ts`). */
  load?: MergerLoad;
}

export async function loadMergeState(log: EventLog, pipeline: string): Promise<MergeState | null> {
  return parseState<MergeState>(await log.getState(MERGE_NAMESPACE, pipeline));
}

/** Drops a group's state (every task's checkpoint, progress and partials, and the merge's). Returns whether there was any. */
export async function resetGroup(log: EventLog, pipeline: string): Promise<boolean> {
  const stored = await loadMergeState(log, pipeline);
  if (!stored) return false;
  const tx = log.transaction();
  tx.putState(MERGE_NAMESPACE, pipeline, null);
  for (let p = 0; p < stored.partitions; p++) {
    const progress = parseState<TaskProgress>(await log.getState(TASK_REPORT_NAMESPACE, taskKey(pipeline, p)));
    for (const [seq] of progress?.partials ?? []) tx.putState(TASK_PARTIAL_NAMESPACE, partialKey(pipeline, p, seq), null);
    tx.putState(TASK_NAMESPACE, taskKey(pipeline, p), null);
    tx.putState(TASK_REPORT_NAMESPACE, taskKey(pipeline, p), null);
  }
  await tx.commit();
  return true;
}
