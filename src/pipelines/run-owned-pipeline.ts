/**
 * Runs a pipeline as the one owner of its lease (`pipeline:<name>`, see `log/lease.ts`): a second
 * processor of the same pipeline on the same log waits as a hot standby (or, with `standby`
 * false, refuses naming the owner), takes over from the owner's last checkpoint when the owner
 * stops, and every checkpoint is fenced — an owner that lost the lease while paused stops
 * without writing. The lake sinks start only once the pipeline is owned (they hold leases of
 * their own, fenced the same way).
 */
import { runPipeline, type RunnerOptions, type RunnerStatus } from '../engine/pipeline-runner.js';
import { acquireLease, leaseKey } from '../log/lease.js';
import { runBesideLake } from './beside-lake.js';
import type { OpenedPipeline } from './registry.js';

export interface OwnedRunOptions extends Omit<RunnerOptions, 'fence' | 'signal'> {
  name: string;
  pipeline: OpenedPipeline;
  /** Run the pipeline's lake sinks beside it. */
  lake: boolean;
  /** Wait as a hot standby while another processor owns the pipeline (else refuse). */
  standby: boolean;
  /** The lease's time-to-live (STREAMREC_LEASE_TTL). */
  ttlMs: number;
  signal: AbortSignal;
  /** One-line notices: waiting as a standby, taking over. */
  notify: (message: string) => void;
  /** Called when this processor starts waiting as a standby, and with null once it owns the pipeline. */
  onStandby?: (message: string | null) => void;
  /** Added to the refusal without `standby`, e.g. how to wait instead. */
  refuseHint?: string;
}

/** The lease key of a pipeline's processor. */
export function pipelineLeaseKey(name: string): string {
  return leaseKey('pipeline', name);
}

/**
 * Waits for (or refuses) ownership, then runs the pipeline and its lake sinks until the signal,
 * idleness (`exitWhenIdle`) or a lost lease stops it. Returns null when stopped while waiting.
 */
export async function runOwnedPipeline(options: OwnedRunOptions): Promise<RunnerStatus | null> {
  const { name, pipeline, signal, notify, log } = options;
  const lease = await acquireLease(log, pipelineLeaseKey(name), {
    label: name,
    ttlMs: options.ttlMs,
    standby: options.standby,
    signal,
    refuseHint: options.refuseHint,
    onWait: (_holder, message) => {
      notify(message);
      options.onStandby?.(message);
    },
  });
  if (!lease) return null;
  options.onStandby?.(null);
  const note = lease.takeoverNote();
  if (note) notify(`${note}; resuming from its last checkpoint`);

  const stop = new AbortController();
  const abort = () => stop.abort();
  signal.addEventListener('abort', abort, { once: true });
  lease.lost.addEventListener('abort', abort, { once: true });
  try {
    return await runBesideLake({ start: options.lake ? (s) => pipeline.startLake(s) : null, stop }, async () => {
      try {
        return await runPipeline(pipeline.spec, {
          ...options,
          signal: stop.signal,
          fence: (tx) => lease.fence(tx),
          // One line when checkpoints stop for a full or read-only disk, one when they resume.
          onDiskProblem:
            options.onDiskProblem ??
            ((p) => notify(p ? `${name}: checkpoint held (${p.message}); nothing is lost, retrying every second` : `${name}: checkpoints written again`)),
        });
      } catch (err) {
        if (await lease.isLostBy(err)) throw await lease.lostError(err);
        throw err;
      }
    });
  } finally {
    signal.removeEventListener('abort', abort);
    await lease.release();
  }
}
