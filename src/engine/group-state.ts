/**
 * Where a pipeline run as a group (`group-runner.ts`) keeps its state beside the tasks' own
 * (`partition-task.ts`): one merge state a shard — the windows whose end falls in it, see
 * `shardOf` — with its mark, and the counts `streamrec reset` needs.
 */
import type { EventLog } from '../log/types.js';
import { parseState } from './checkpoint.js';
import { partialKey, TASK_NAMESPACE, TASK_PARTIAL_NAMESPACE, TASK_REPORT_NAMESPACE, taskKey, type TaskProgress } from './partition-task.js';
import type { MergeMark } from './window-merge.js';

/** The merge shards' states, keyed `<pipeline>/<shard>`. */
export const MERGE_NAMESPACE = 'pipeline-merge';

export interface MergeState {
  fingerprint: Record<string, unknown>;
  partitions: number;
  shards: number;
  mark: MergeMark;
}

export function mergeKey(pipeline: string, shard: number): string {
  return `${pipeline}/${shard}`;
}

/**
 * The merge shard of the windows ending at `end`: consecutive pane ends go to consecutive shards,
 * so the windows closing together are merged by several members at once, and the windows of one
 * end (tumbling and sliding) by one.
 */
export function shardOf(end: number, paneMs: number, shards: number): number {
  const n = Math.floor(end / paneMs) % shards;
  return n < 0 ? n + shards : n;
}

export async function loadMergeState(log: EventLog, pipeline: string, shard = 0): Promise<MergeState | null> {
  return parseState<MergeState>(await log.getState(MERGE_NAMESPACE, mergeKey(pipeline, shard)));
}

/** Drops a group's state (every task's checkpoint, progress and partials, and the merge shards'). Returns whether there was any. */
export async function resetGroup(log: EventLog, pipeline: string): Promise<boolean> {
  const stored = await loadMergeState(log, pipeline);
  if (!stored) return false;
  const tx = log.transaction();
  for (let s = 0; s < stored.shards; s++) tx.putState(MERGE_NAMESPACE, mergeKey(pipeline, s), null);
  for (let p = 0; p < stored.partitions; p++) {
    const progress = parseState<TaskProgress>(await log.getState(TASK_REPORT_NAMESPACE, taskKey(pipeline, p)));
    for (const [seq] of progress?.partials ?? []) tx.putState(TASK_PARTIAL_NAMESPACE, partialKey(pipeline, p, seq), null);
    tx.putState(TASK_NAMESPACE, taskKey(pipeline, p), null);
    tx.putState(TASK_REPORT_NAMESPACE, taskKey(pipeline, p), null);
  }
  await tx.commit();
  return true;
}
