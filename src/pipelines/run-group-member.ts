/**
 * Runs this process as one member of a pipeline's group (`engine/group-runner.ts`): its share of
 * the partitions, the final results when it holds the merge, and the pipeline's lake sinks when
 * it wins their leases (every member waits as their standby, so they move on a death too, and
 * a member that lost them while paused waits again instead of stopping).
 */
import { runPipelineGroup, type GroupRunnerOptions, type GroupStatus } from '../engine/group-runner.js';
import { LeaseLostError } from '../log/lease.js';
import type { LakeWriters, OpenedPipeline } from './registry.js';

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
  let sinkError: Error | null = null;
  /** The sinks' last write has begun: a lost lease is no reason to start them again. */
  let lakeSettled = false;
  // A sink that lost its lease (this member was paused past the TTL) waits as a standby again: the
  // member goes on with its partitions, as fenced as the sink was.
  const startLake = (): LakeWriters => {
    const writers = pipeline.startLake(stop.signal);
    void writers.failure.then(async (err) => {
      if (err instanceof LeaseLostError && !stop.signal.aborted && !lakeSettled) {
        options.notify?.(`${err.message}; waiting as its standby again`);
        await writers.abort();
        if (!stop.signal.aborted) lake = startLake();
        return;
      }
      sinkError = err;
      stop.abort();
    });
    return writers;
  };
  let lake = options.lake ? startLake() : null;
  try {
    const status = await runPipelineGroup(pipeline.spec, { ...options, signal: stop.signal });
    if (sinkError) throw sinkError;
    if (lake) {
      lakeSettled = true;
      // The sinks' last write; one whose lease another member holds now leaves it to that member.
      await (lake as LakeWriters).finish().catch((err: unknown) => {
        if (!(err instanceof LeaseLostError)) throw err;
        options.notify?.(`${err.message}; its new owner writes the rest`);
      });
    }
    return status;
  } catch (err) {
    if (lake && !lakeSettled) await lake.abort();
    throw err;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
