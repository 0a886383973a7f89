/**
 * A pipeline's work with its lake sinks beside it, as both processors run it (the one owner in
 * `run-owned-pipeline.ts`, a group member in `run-group-member.ts`): a sink that fails stops the
 * work and its error is thrown once the work ends; when the work ends well the sinks write what
 * is left, when it fails they stop without writing (the next owner reads it again).
 */
import { LeaseLostError } from '../log/lease.js';
import type { LakeWriters } from './lake-writers.js';

export interface BesideLakeOptions {
  /** Starts the sinks with the given signal; null runs the work alone (`--no-lake`). */
  start: ((signal: AbortSignal) => LakeWriters) | null;
  /** The work's stop: aborted when a sink fails, and the sinks' signal. */
  stop: AbortController;
  /**
   * Set for group members, who all wait as the sinks' standbys: a sink that lost its lease (this
   * member was paused past the TTL) waits as a standby again while the work goes on, and at the
   * end leaves the last write to the lease's new owner. Told each time, in one line.
   */
  onLeaseLost?: (message: string) => void;
}

export async function runBesideLake<T>(options: BesideLakeOptions, work: () => Promise<T>): Promise<T> {
  const { start, stop, onLeaseLost } = options;
  if (!start) return work();
  let sinkError: Error | null = null;
  /** The sinks' last write has begun: a lost lease is no reason to start them again. */
  let settled = false;
  const launch = (): LakeWriters => {
    const writers = start(stop.signal);
    void writers.failure.then(async (err) => {
      if (onLeaseLost && err instanceof LeaseLostError && !stop.signal.aborted && !settled) {
        onLeaseLost(`${err.message}; waiting as its standby again`);
        await writers.abort();
        if (!stop.signal.aborted) lake = launch();
        return;
      }
      sinkError = err;
      stop.abort();
    });
    return writers;
  };
  let lake = launch();
  try {
    const result = await work();
    if (sinkError) throw sinkError;
    settled = true;
    await lake.finish().catch((err: unknown) => {
      if (!(onLeaseLost && err instanceof LeaseLostError)) throw err;
      onLeaseLost(`${err.message}; its new owner writes the rest`);
    });
    return result;
  } catch (err) {
    if (!settled) await lake.abort();
    throw err;
  }
}
