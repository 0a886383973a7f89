/**
 * Runs this process as one member of a pipeline's group (`engine/group-runner.ts`): its share of
 * the partitions, the final results when it holds the merge, and the pipeline's lake sinks when
 * it wins their leases (every member waits as their standby, so they move on a death too, and
 * a member that lost them while paused waits again instead of stopping).
 */
import { runPipelineGroup, type GroupRunnerOptions, type GroupStatus } from '../engine/group-runner.js';
import { runBesideLake } from './beside-lake.js';
import type { OpenedPipeline } from './registry.js';

export interface GroupMemberOptions extends Omit<GroupRunnerOptions, 'signal'> {
  pipeline: OpenedPipeline;
  /** Run the pipeline's lake sinks beside it. */
  lake: boolean;
  signal: AbortSignal;
}

export async function runGroupMember(options: GroupMemberOptions): Promise<GroupStatus> {
  const { pipeline, signal } = options;
  const stop = new AbortController();
  const abort = () => stop.abort();
  signal.addEventListener('abort', abort, { once: true });
  try {
    return await runBesideLake(
      { start: options.lake ? (s) => pipeline.startLake(s) : null, stop, onLeaseLost: (message) => options.notify?.(message) },
      () => runPipelineGroup(pipeline.spec, { ...options, signal: stop.signal }),
    );
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
