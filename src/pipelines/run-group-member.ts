/**
 * Runs this process as one member of a pipeline's group (`engine/group-runner.ts`): its share of
 * the partitions, the final results when it holds the merge, and the pipeline's lake sinks when
 * it wins their leases (every member waits as their standby, so they move on a death too).
 */
import { runPipelineGroup, type GroupRunnerOptions, type GroupStatus } from '../engine/group-runner.js';
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
  const lake = options.lake ? pipeline.startLake(stop.signal) : null;
  let sinkError: Error | null = null;
  void lake?.failure.then((err) => {
    sinkError = err;
    stop.abort();
  });
  let lakeSettled = false;
  try {
    const status = await runPipelineGroup(pipeline.spec, { ...options, signal: stop.signal });
    if (sinkError) throw sinkError;
    if (lake) {
      lakeSettled = true;
      await lake.finish();
    }
    return status;
  } catch (err) {
    if (lake && !lakeSettled) await lake.abort();
    throw err;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
