/**
 * Mean, variance and standard deviation from (count, mean, M2) states: Welford's update per input
 * and Chan, Golub & LeVeque's pairwise combination on merge, both numerically stable (no
 * Σx² − (Σx)²/n cancellation). Empty states give null; a sample statistic of one value gives null.
 */
import type { Aggregate } from '../aggregate.js';
import { jsonCount, jsonNumber, jsonObject } from './json.js';

export interface MeanState {
  n: number;
  mean: number;
}

export interface MomentsState {
  n: number;
  mean: number;
  /** Sum of squared deviations from the mean. */
  m2: number;
}

export interface DispersionOptions {
  /** Divide by n − 1 (sample) instead of n (population, the default). */
  sample?: boolean;
}

export function avg<In>(f: (input: In) => number): Aggregate<In, MeanState, number | null> {
  return {
    create: () => ({ n: 0, mean: 0 }),
    add(state, input) {
      const n = ++state.n;
      state.mean += (f(input) - state.mean) / n;
    },
    mergeInto(target, source) {
      const nb = source.n;
      if (nb === 0) return;
      const n = target.n + nb;
      target.mean += ((source.mean - target.mean) * nb) / n;
      target.n = n;
    },
    result: (state) => (state.n === 0 ? null : state.mean),
    toJSON: (state) => ({ n: state.n, mean: state.mean }),
    fromJSON(json) {
      const o = jsonObject(json, 'avg');
      return { n: jsonCount(o.n, 'avg'), mean: jsonNumber(o.mean, 'avg') };
    },
  };
}

export function variance<In>(
  f: (input: In) => number,
  options: DispersionOptions = {},
): Aggregate<In, MomentsState, number | null> {
  const sample = options.sample === true;
  return momentsAggregate('variance', f, (s) => varianceOf(s, sample));
}

export function stddev<In>(
  f: (input: In) => number,
  options: DispersionOptions = {},
): Aggregate<In, MomentsState, number | null> {
  const sample = options.sample === true;
  return momentsAggregate('stddev', f, (s) => {
    const v = varianceOf(s, sample);
    return v === null ? null : Math.sqrt(v);
  });
}

function varianceOf(state: MomentsState, sample: boolean): number | null {
  const d = sample ? state.n - 1 : state.n;
  if (d <= 0) return null;
  // M2 is a sum of squares; rounding can leave it a hair below zero when all inputs are equal.
  return state.m2 > 0 ? state.m2 / d : 0;
}

function momentsAggregate<In>(
  name: string,
  f: (input: In) => number,
  result: (state: MomentsState) => number | null,
): Aggregate<In, MomentsState, number | null> {
  return {
    create: () => ({ n: 0, mean: 0, m2: 0 }),
    add(state, input) {
      const x = f(input);
      const n = ++state.n;
      const delta = x - state.mean;
      state.mean += delta / n;
      state.m2 += delta * (x - state.mean);
    },
    mergeInto: mergeMoments,
    result,
    toJSON: (state) => ({ n: state.n, mean: state.mean, m2: state.m2 }),
    fromJSON(json) {
      const o = jsonObject(json, name);
      return { n: jsonCount(o.n, name), mean: jsonNumber(o.mean, name), m2: jsonNumber(o.m2, name) };
    },
  };
}

/** Chan et al.: combine two (n, mean, M2) summaries into target. */
function mergeMoments(target: MomentsState, source: MomentsState): void {
  const nb = source.n;
  if (nb === 0) return;
  const na = target.n;
  if (na === 0) {
    target.n = nb;
    target.mean = source.mean;
    target.m2 = source.m2;
    return;
  }
  const n = na + nb;
  const delta = source.mean - target.mean;
  target.mean += (delta * nb) / n;
  target.m2 += source.m2 + ((delta * delta * na) / n) * nb;
  target.n = n;
}
