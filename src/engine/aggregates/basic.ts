/** count / sum / min / max. Empty states give 0 for count and sum, null for min and max. */
import type { Aggregate } from '../aggregate.js';
import { jsonCount, jsonNumber, jsonNumberOrNull, jsonObject } from './json.js';

export interface CountState {
  n: number;
}

export function count<In = unknown>(): Aggregate<In, CountState, number> {
  return {
    create: () => ({ n: 0 }),
    add(state) {
      state.n++;
    },
    mergeInto(target, source) {
      target.n += source.n;
    },
    result: (state) => state.n,
    toJSON: (state) => ({ n: state.n }),
    fromJSON: (json) => ({ n: jsonCount(jsonObject(json, 'count').n, 'count') }),
  };
}

export interface SumState {
  sum: number;
}

/** Plain floating-point sum: exact for integers and short binary fractions (ratings), else to rounding. */
export function sum<In>(f: (input: In) => number): Aggregate<In, SumState, number> {
  return {
    create: () => ({ sum: 0 }),
    add(state, input) {
      state.sum += f(input);
    },
    mergeInto(target, source) {
      target.sum += source.sum;
    },
    result: (state) => state.sum,
    toJSON: (state) => ({ sum: state.sum }),
    fromJSON: (json) => ({ sum: jsonNumber(jsonObject(json, 'sum').sum, 'sum') }),
  };
}

export interface ExtremumState {
  /** Meaningful only when `seen`. */
  value: number;
  seen: boolean;
}

export function min<In>(f: (input: In) => number): Aggregate<In, ExtremumState, number | null> {
  return extremum('min', f, (a, b) => a < b, Infinity);
}

export function max<In>(f: (input: In) => number): Aggregate<In, ExtremumState, number | null> {
  return extremum('max', f, (a, b) => a > b, -Infinity);
}

function extremum<In>(
  name: string,
  f: (input: In) => number,
  better: (a: number, b: number) => boolean,
  initial: number,
): Aggregate<In, ExtremumState, number | null> {
  return {
    create: () => ({ value: initial, seen: false }),
    add(state, input) {
      const x = f(input);
      if (better(x, state.value)) state.value = x;
      state.seen = true;
    },
    mergeInto(target, source) {
      if (!source.seen) return;
      if (better(source.value, target.value)) target.value = source.value;
      target.seen = true;
    },
    result: (state) => (state.seen ? state.value : null),
    toJSON: (state) => ({ value: state.seen ? state.value : null }),
    fromJSON(json) {
      const value = jsonNumberOrNull(jsonObject(json, name).value, name);
      return value === null ? { value: initial, seen: false } : { value, seen: true };
    },
  };
}
