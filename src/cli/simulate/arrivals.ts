import { Random } from '../../util/random.js';

/** uniform: evenly spaced, request i at i / rate; poisson: exponential gaps with mean 1 / rate. */
export type ArrivalKind = 'uniform' | 'poisson';

export const ARRIVAL_KINDS: readonly ArrivalKind[] = ['uniform', 'poisson'];

export interface ArrivalOptions {
  /** Requests per second (> 0). */
  rate: number;
  /** Arrivals fall in [0, durationMs). */
  durationMs: number;
  kind: ArrivalKind;
  /** Seeds the Poisson gaps; uniform arrivals ignore it. */
  seed?: number;
}

/**
 * The open-loop schedule: the intended send time of every request, in ms after the start, in
 * increasing order. It depends only on the options — never on how fast the server answers — so a
 * slow server gets the same load as a fast one and its slowness shows up as latency.
 */
export function* arrivalOffsets(options: ArrivalOptions): Generator<number> {
  const { rate, durationMs, kind } = options;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`arrival rate must be a positive number, got ${rate}`);
  if (!(durationMs >= 0) || !Number.isFinite(durationMs)) throw new RangeError(`arrival duration must be 0 ms or more, got ${durationMs}`);
  const meanGapMs = 1000 / rate;
  if (kind === 'uniform') {
    // i / rate, computed from i (not by adding gaps) so rounding never drifts over a long run.
    for (let i = 0; (i * 1000) / rate < durationMs; i++) yield (i * 1000) / rate;
    return;
  }
  const random = new Random(options.seed ?? 1);
  let t = 0;
  for (;;) {
    // Inverse transform: -ln(1 - U) is Exp(1) for U uniform in [0, 1), and never -ln(0).
    t += -Math.log(1 - random.next()) * meanGapMs;
    if (t >= durationMs) return;
    yield t;
  }
}

/** How many requests a uniform schedule holds (a Poisson one holds this many on average). */
export function expectedRequests(rate: number, durationMs: number): number {
  // The epsilon keeps float noise (3.0000000000000004) from counting one request too many.
  return Math.max(0, Math.ceil((rate * durationMs) / 1000 - 1e-9));
}
