/**
 * Runs a pipeline as a group of instances — processes on one machine or several, on a shared log —
 * the way Kafka Streams spreads tasks over a consumer group:
 *
 * - Members: an instance joins by taking a member slot (lease `group:<pipeline>.m<k>`, one per
 *   partition at most); the live slots are the group. Each member holds its fair share of the
 *   partitions (`group-share.ts`), computed alike by every member from the same live list.
 * - Tasks: a partition is held through its lease (`task:<pipeline>.p<n>`) and runs as a
 *   `PartitionTask`, checkpointed in transactions fenced by that lease. An instance over its share
 *   checkpoints and releases partitions; one under it takes free ones, each from its last
 *   checkpoint. A dead instance's leases age out (STREAMREC_LEASE_TTL) and its partitions move; a
 *   paused one that comes back finds its commits refused (`FencedError`) and drops them.
 * - The merge, sharded so that it is no one member's bottleneck: the windows are split by their
 *   end into as many shards as partitions (`group-state.ts` `shardOf`), each held like a partition
 *   through a lease (`merge:<pipeline>.s<k>`, the same even split). The holder of a shard turns
 *   the tasks' sealed partials of its windows into final results (`window-merge.ts`), written
 *   with the shard's mark in one transaction fenced by that lease.
 *
 * Lateness is per partition and finals are merged partials, so the results are the same for any
 * number of instances and any deaths between (see `window-merge.ts`). Open-window updates are not
 * written in this mode: the output topic gets final results only, in end order within a shard
 * (the shards' commits interleave).
 */
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { acquireLease, leaseKey, LeaseHeldError, readLease, type Lease } from '../log/lease.js';
import { FencedError, type EventLog, type TopicInfo } from '../log/types.js';
import { diskWriteProblem } from '../util/disk-errors.js';
import { StreamrecError } from '../util/errors.js';
import { assertCompatible, CHECKPOINT_NAMESPACE, CheckpointMismatchError, parseState } from './checkpoint.js';
import { loadMergeState, MERGE_NAMESPACE, mergeKey, shardOf, type MergeState } from './group-state.js';
import { fairShare } from './group-share.js';
import { PartitionTask, partialKey, TASK_PARTIAL_NAMESPACE, TASK_REPORT_NAMESPACE, taskKey, type TaskProgress } from './partition-task.js';
import { pipelineGroup, waitForTopics, type RunnerStatus } from './pipeline-runner.js';
import { resultRecord, sourceTopics, specFingerprint, type PipelineSpec } from './pipeline.js';
import { SourceLayout } from './source-layout.js';
import { paneSize } from './windows.js';
import { groupClosedUpTo, mergeDue, START_MARK, type MergeMark, type SealedPartial, type TaskReport } from './window-merge.js';

export interface GroupRunnerOptions {
  log: EventLog;
  signal?: AbortSignal;
  /** End once every partition has been idle for the idle timeout and every final is written. */
  exitWhenIdle?: boolean;
  checkpointIntervalMs?: number;
  readBatch?: number;
  /** The leases' time-to-live (STREAMREC_LEASE_TTL); members look at the group every ttl / 5. */
  ttlMs: number;
  now?: () => number;
  /** One-line notices: joining, partitions taken and given up, commits refused. */
  notify?: (message: string) => void;
  onStatus?: (status: GroupStatus) => void;
}

export interface GroupStatus extends RunnerStatus {
  /** This member's slot, and the partitions it holds now. */
  member: number;
  held: number[];
  /** The merge shards this member holds: it writes the final results of their windows. */
  merging: number[];
  /** Task commits refused because the partition had moved to another member. */
  fenced: number;
}

/** The fingerprint of a group's state: the spec's, marked so that a single processor's checkpoint never resumes it. */
function groupFingerprint(spec: PipelineSpec<unknown, unknown, unknown, unknown>): Record<string, unknown> {
  return { ...specFingerprint(spec), mode: 'group' };
}

/** Runs this instance as a member of the pipeline's group until the signal (or, `exitWhenIdle`, the end of the input). */
export async function runPipelineGroup<E, X, S, R>(spec: PipelineSpec<E, X, S, R>, options: GroupRunnerOptions): Promise<GroupStatus> {
  const { log } = options;
  const now = options.now ?? Date.now;
  const notify = options.notify ?? (() => {});
  const checkpointEvery = options.checkpointIntervalMs ?? spec.checkpointIntervalMs ?? 1000;
  const lookEvery = Math.max(100, Math.floor(options.ttlMs / 5));
  const readBatch = options.readBatch ?? 4000;
  const group = pipelineGroup(spec.name);
  const anySpec = spec as PipelineSpec<unknown, unknown, unknown, unknown>;
  const fingerprint = groupFingerprint(anySpec);
  const status: GroupStatus = { ...emptyStatus(spec.name), member: -1, held: [], merging: [], fenced: 0 };

  const names = sourceTopics(spec.source).map((t) => t.topic);
  const infos = await waitForTopics(log, names, options);
  if (!infos) return status;
  const partitions = sameCounts(spec.name, infos);
  // As many merge shards as partitions: the merging is spread like the partitions are.
  const shards = partitions;
  const paneMs = paneSize(spec.windows);
  if ((await log.getState(CHECKPOINT_NAMESPACE, spec.name)) !== null) {
    throw new CheckpointMismatchError(
      `pipeline ${spec.name} has the checkpoint of a single processor, not of a group. ` +
        `Run \`streamrec reset ${spec.name}\` to drop it and reprocess from the earliest offset as a group.`,
    );
  }
  const leaseOptions = { ttlMs: options.ttlMs };
  const tryLease = async (key: string, label: string): Promise<Lease | null> => {
    try {
      return await acquireLease(log, key, { ...leaseOptions, label, standby: false });
    } catch (err) {
      if (err instanceof LeaseHeldError) return null;
      throw err;
    }
  };

  /** The first free member slot; with every slot taken (more instances than partitions), waits. Null once stopped. */
  const join = async (): Promise<Lease | null> => {
    for (;;) {
      for (let k = 0; k < partitions; k++) {
        const lease = await tryLease(memberKey(spec.name, k), `member ${k} of ${spec.name}'s group`);
        if (!lease) continue;
        status.member = k;
        notify(`joined ${spec.name}'s group on ${log.description} as member ${k}`);
        return lease;
      }
      if (options.signal?.aborted) return null;
      await sleep(lookEvery);
    }
  };
  let member = await join();
  if (!member) return status;

  const tasks = new Map<number, { task: PartitionTask<E, X, S, R>; lease: Lease }>();
  /** The merge shards this member holds, and every shard's mark (the others' as last read). */
  const mergers = new Map<number, Lease>();
  const marks: MergeMark[] = Array.from({ length: shards }, () => START_MARK);
  const shardOfEnd = (end: number) => shardOf(end, paneMs, shards);
  /**
   * Whether the window ending at `end` has its final result: its partials can go. By the mark's
   * end alone, done or not: a done mark keeps the last end it merged, and a task given new input
   * after it seals windows beyond that, to be merged yet.
   */
  const passed = (end: number): boolean => {
    const upTo = marks[shardOfEnd(end)]!.emittedUpTo;
    return upTo !== null && end <= upTo;
  };

  const readMark = async (shard: number): Promise<MergeMark> => {
    const stored = await loadMergeState(log, spec.name, shard);
    if (!stored) return START_MARK;
    assertCompatible(spec.name, stored.fingerprint, fingerprint);
    return stored.mark;
  };
  const mergeState = (mark: MergeMark): string => JSON.stringify({ fingerprint, partitions, shards, mark } satisfies MergeState);

  /** Where the group stood when it last ended (see `MergeMark.endedAt`): an ended task given new input resumes there. */
  const groupEnd = (): number | null => {
    const ends = marks.map((m) => m.endedAt ?? null).filter((e): e is number => e !== null);
    return ends.length ? Math.max(...ends) : null;
  };

  /** Commits a task's checkpoint; false when the task was lost (its commit refused) and dropped. */
  const commitTask = async (p: number): Promise<boolean> => {
    const held = tasks.get(p)!;
    const tx = log.transaction();
    held.lease.fence(tx);
    held.task.checkpoint(tx, group, fingerprint, passed, now());
    try {
      await tx.commit();
    } catch (err) {
      if (await held.lease.isLostBy(err)) {
        status.fenced++;
        notify(`${spec.name} partition ${p}: commit refused, the partition moved to another member (its lease's epoch ${held.lease.epoch} is stale); dropping it`);
        await dropTask(p);
        return false;
      }
      if (diskWriteProblem(err) && !options.signal?.aborted) return true;
      throw err;
    }
    held.task.committed();
    status.checkpoints++;
    return true;
  };

  const dropTask = async (p: number) => {
    const held = tasks.get(p);
    if (!held) return;
    tasks.delete(p);
    await held.task.close();
  };

  const releaseTask = async (p: number) => {
    const held = tasks.get(p)!;
    if (await commitTask(p)) {
      await held.lease.release();
      await dropTask(p);
    }
  };

  /** Looks at the group: gives up partitions over this member's share, takes free ones under it, takes the merge if free. */
  const rebalance = async () => {
    if (member!.lost.aborted) {
      // Paused past the TTL: another instance has the slot now. Give up what this member holds
      // (what was moved meanwhile is fenced) before waiting for a slot: holding partitions while
      // waiting would hold back the group's watermark.
      notify(`${spec.name}: lost member slot ${status.member} (this process was not heartbeating); giving up its partitions and joining again`);
      for (const p of [...tasks.keys()]) await releaseTask(p);
      for (const [shard, lease] of [...mergers]) {
        await lease.release();
        mergers.delete(shard);
      }
      member = await join();
      if (!member) return;
    }
    const live: number[] = [];
    for (let k = 0; k < partitions; k++) {
      const info = await readLease(log, memberKey(spec.name, k), leaseOptions);
      if (info?.live) live.push(k);
    }
    for (let shard = 0; shard < shards; shard++) if (!mergers.has(shard)) marks[shard] = await readMark(shard);
    const share = fairShare(partitions, live, status.member);
    for (const p of [...tasks.keys()].sort((a, b) => b - a)) {
      if (tasks.size <= share) break;
      await releaseTask(p);
      notify(`${spec.name} partition ${p}: given up for another member (${live.length} members)`);
    }
    for (let p = 0; p < partitions && tasks.size < share; p++) {
      if (tasks.has(p)) continue;
      const lease = await tryLease(taskLeaseKey(spec.name, p), `${spec.name} partition ${p}`);
      if (!lease) continue;
      let task: PartitionTask<E, X, S, R>;
      try {
        task = await PartitionTask.open(spec, log, infos, p, group, fingerprint, groupEnd());
      } catch (err) {
        await lease.release();
        throw err;
      }
      tasks.set(p, { task, lease });
      const note = lease.takeoverNote();
      notify(note ? `${note}; resuming from its last checkpoint` : `${spec.name} partition ${p}: taken`);
    }
    // The merge shards: the same even split, so the merging is shared too.
    const shardShare = fairShare(shards, live, status.member);
    for (const [shard, lease] of [...mergers]) {
      if (lease.lost.aborted) mergers.delete(shard);
    }
    for (const shard of [...mergers.keys()].sort((a, b) => b - a)) {
      if (mergers.size <= shardShare) break;
      await mergers.get(shard)!.release();
      mergers.delete(shard);
    }
    for (let shard = 0; shard < shards && mergers.size < shardShare; shard++) {
      if (mergers.has(shard)) continue;
      const lease = await tryLease(mergeLeaseKey(spec.name, shard), `${spec.name}'s merge shard ${shard}`);
      if (!lease) continue;
      try {
        marks[shard] = await readMark(shard);
        // Written at once: `streamrec reset` finds the group's counts here.
        const tx = log.transaction();
        lease.fence(tx);
        tx.putState(MERGE_NAMESPACE, mergeKey(spec.name, shard), mergeState(marks[shard]!));
        await tx.commit();
      } catch (err) {
        await lease.release();
        // Taken by another member meanwhile (this one was slow past the TTL), or a full or
        // read-only disk: the shard waits for the next look.
        if (err instanceof FencedError || (diskWriteProblem(err) && !options.signal?.aborted)) continue;
        throw err;
      }
      mergers.set(shard, lease);
    }
    status.held = [...tasks.keys()].sort((a, b) => a - b);
    status.merging = [...mergers.keys()].sort((a, b) => a - b);
  };

  /** Partitions with records past the group's committed offsets (on any source topic). */
  const partitionsWithNewInput = async (): Promise<Set<number>> => {
    const out = new Set<number>();
    for (const name of names) {
      const [info, committed] = await Promise.all([log.topic(name), log.committed(group, name)]);
      const at = new Map(committed.map((c) => [c.partition, c.offset]));
      for (const part of info?.partitions ?? []) if (part.endOffset > (at.get(part.partition) ?? part.startOffset)) out.add(part.partition);
    }
    return out;
  };

  /** Every partition's progress as last committed (null before its first checkpoint). */
  const readProgress = (): Promise<(TaskProgress | null)[]> =>
    Promise.all(Array.from({ length: partitions }, async (_, p) => parseState<TaskProgress>(await log.getState(TASK_REPORT_NAMESPACE, taskKey(spec.name, p)))));

  /**
   * How far an idle partition's watermark may follow the clock: the furthest end of a window
   * holding a partition's newest event, over the group (the progress committed, and this member's
   * tasks as they are). It only grows, as event time does.
   */
  let groupWindowEnd = -Infinity;
  const followGroup = (stored: readonly (TaskProgress | null)[]) => {
    for (const pr of stored) if (pr?.newestWindowEnd != null) groupWindowEnd = Math.max(groupWindowEnd, pr.newestWindowEnd);
  };

  /** Writes the finals every partition has closed, of the shards this member holds. */
  const merge = async (stored: (TaskProgress | null)[]) => {
    // Done shards too: a task given new input makes its shard's mark not done at the next merge.
    const open = [...mergers.keys()];
    if (open.length === 0) return;
    // A partition that ended (`--exit-when-idle`) but has input its group has not committed yet
    // is not ended: a member will resume it, and until then it holds the windows back.
    const fresh = await partitionsWithNewInput();
    const progress = stored.map((pr, p) => (pr?.ended && fresh.has(p) ? { ...pr, ended: false } : pr));
    // Only the partials that can be merged now are read: those of windows every partition closed.
    const upTo = groupClosedUpTo(progress);
    for (const shard of open) await mergeShard(shard, progress, upTo);
  };

  const mergeShard = async (shard: number, progress: (TaskProgress | null)[], upTo: number) => {
    const lease = mergers.get(shard)!;
    const mark = marks[shard]!;
    const from = mark.emittedUpTo ?? -Infinity;
    // A listed partial gone: another member merged this shard past it (this one was paused past
    // the TTL) and the task deleted it. Refused if the shard moved; else read again next time.
    let missing = false;
    const reports = await Promise.all(
      progress.map(async (pr, p): Promise<TaskReport | null> => {
        if (!pr) return null;
        const due = pr.partials.filter(([, end]) => end > from && end <= upTo && shardOfEnd(end) === shard);
        const read = await Promise.all(due.map(async ([seq]) => parseState<SealedPartial>(await log.getState(TASK_PARTIAL_NAMESPACE, partialKey(spec.name, p, seq)))));
        const sealed = read.filter((x) => x !== null);
        if (sealed.length !== due.length) missing = true;
        return { closedUpTo: pr.closedUpTo, ended: pr.ended, sealed };
      }),
    );
    if (missing) {
      if (!(await lease.held())) {
        status.fenced++;
        notify(`${spec.name} merge shard ${shard}: moved to another member while this one was not heartbeating; dropping it`);
        mergers.delete(shard);
      }
      return;
    }
    const due = mergeDue(spec.windows, spec.aggregate, reports, mark);
    if (due.finals.length === 0 && JSON.stringify(due.mark) === JSON.stringify(mark)) return;
    const tx = log.transaction();
    lease.fence(tx);
    const emittedAt = now();
    if (due.finals.length) tx.send(spec.output.topic, due.finals.map((r) => resultRecord(anySpec, r, emittedAt)));
    tx.putState(MERGE_NAMESPACE, mergeKey(spec.name, shard), mergeState(due.mark));
    try {
      await tx.commit();
    } catch (err) {
      if (await lease.isLostBy(err)) {
        status.fenced++;
        notify(`${spec.name} merge shard ${shard}: commit refused, another member merges it now`);
        mergers.delete(shard);
        return;
      }
      if (diskWriteProblem(err) && !options.signal?.aborted) return;
      throw err;
    }
    marks[shard] = due.mark;
    status.finals += due.finals.length;
  };

  let lastLook = -Infinity;
  let lastCheckpoint = now();
  let lastStatus = now();
  let processedAtLastStatus = 0;
  try {
    for (;;) {
      let t = now();
      if (t - lastLook >= lookEvery) {
        await rebalance();
        lastLook = t;
      }
      let took = 0;
      for (const [p, held] of [...tasks]) {
        if (!held.lease.lost.aborted) continue;
        status.fenced++;
        notify(`${spec.name} partition ${p}: lost to another member while this one was not heartbeating; dropping it unwritten`);
        await dropTask(p);
      }
      // The tasks' reads in flight together: on a remote log each is a round trip or two.
      for (const held of tasks.values()) groupWindowEnd = Math.max(groupWindowEnd, held.task.newestWindowEnd());
      const stepOptions = { readBatch, exitWhenIdle: options.exitWhenIdle ?? false, groupWindowEnd };
      for (const n of await Promise.all([...tasks.values()].map((held) => held.task.step(t, stepOptions)))) took += n;
      status.processed += took;
      t = now();
      if (t - lastCheckpoint >= checkpointEvery) {
        for (const [p, held] of [...tasks]) if (held.task.dirty(passed)) await commitTask(p);
        const stored = await readProgress();
        followGroup(stored);
        await merge(stored);
        lastCheckpoint = t;
      }
      if (t - lastStatus >= 1000) {
        status.rate = ((status.processed - processedAtLastStatus) * 1000) / (t - lastStatus);
        processedAtLastStatus = status.processed;
        lastStatus = t;
        await report(status, [...tasks.values()].map((h) => h.task), log, names);
        options.onStatus?.({ ...status, held: [...status.held] });
      }
      if (options.signal?.aborted) break;
      // The end of the input: every partition ended (this member's own tasks too: one given new
      // input since the last run reads on, though the marks still say done) and all merged.
      if (options.exitWhenIdle && marks.every((m) => m.done) && [...tasks.values()].every((h) => h.task.isEnded)) break;
      // Busy rounds still let timers run: the leases' heartbeats (a member slot is renewed by
      // nothing else) must not starve behind a backlog.
      if (took === 0) await sleep(20);
      else await setImmediate();
    }
    for (const p of [...tasks.keys()]) if (tasks.get(p)!.task.dirty(passed)) await commitTask(p);
    await merge(await readProgress());
  } finally {
    for (const [p, held] of [...tasks]) {
      await held.lease.release();
      await dropTask(p);
    }
    for (const lease of mergers.values()) await lease.release();
    await (member as Lease | null)?.release();
  }
  return status;
}

/** Lag, late and dead-letter counts over the tasks this member holds. */
async function report<E, X, S, R>(status: GroupStatus, tasks: PartitionTask<E, X, S, R>[], log: EventLog, names: readonly string[]): Promise<void> {
  const infos = await Promise.all(names.map((n) => log.topic(n)));
  status.lag = tasks.reduce((sum, t) => sum + t.lag(infos), 0);
  status.late = tasks.reduce((sum, t) => sum + t.late, 0);
  status.deadLettered = tasks.reduce((sum, t) => sum + t.deadLettered, 0);
}

/** The partition count every source topic shares (partition p of each is one task). */
function sameCounts(pipeline: string, infos: readonly TopicInfo[]): number {
  const counts = SourceLayout.of(infos).partitions;
  if (new Set(counts).size !== 1) {
    const shown = infos.map((t) => `${t.name}: ${t.partitions.length}`).join(', ');
    throw new StreamrecError(`pipeline ${pipeline} cannot run as a group: its source topics must have the same number of partitions (${shown})`, {
      code: 'bad-topology',
      status: 500,
    });
  }
  return counts[0]!;
}

function memberKey(pipeline: string, slot: number): string {
  return leaseKey('group', `${pipeline}.m${slot}`);
}

function taskLeaseKey(pipeline: string, partition: number): string {
  return leaseKey('task', `${pipeline}.p${partition}`);
}

function mergeLeaseKey(pipeline: string, shard: number): string {
  return leaseKey('merge', `${pipeline}.s${shard}`);
}

function emptyStatus(pipeline: string): RunnerStatus {
  return { pipeline, processed: 0, late: 0, deadLettered: 0, rate: 0, lag: 0, watermark: null, watermarkDelayMs: null, openPanes: 0, finals: 0, checkpoints: 0 };
}
