/**
 * Exact quantiles for inputs drawn from a small known set of values (movie ratings 0.5, 1.0 … 5.0):
 * the state is one count per value, so it is exact, small, and merges exactly by adding counts.
 * Quantiles follow DuckDB's quantile_disc (see quantile-rank.ts).
 */
import type { Aggregate } from '../aggregate.js';
import { jsonArray, jsonCount, jsonNumber, jsonObject } from './json.js';
import { compileQuantiles, indexOf } from './quantile-rank.js';

export interface ExactQuantilesOptions {
  /** Every value an input may take; any other input throws. */
  values: readonly number[];
  /** Quantiles in [0, 1]; the result has one key per quantile, `p${q × 100}`. */
  quantiles: readonly number[];
}

export interface HistogramState {
  /** counts[i] = how many inputs equalled the i-th smallest declared value. */
  counts: Float64Array;
  n: number;
}

/** `{ p50: 3.5, p95: 5, … }`; every quantile is null for an empty state. */
export type QuantilesResult = Record<string, number | null>;

export function exactQuantiles<In>(
  f: (input: In) => number,
  options: ExactQuantilesOptions,
): Aggregate<In, HistogramState, QuantilesResult> {
  const name = 'exactQuantiles';
  const specs = compileQuantiles(options.quantiles, name);
  const values = [...options.values].sort((a, b) => a - b);
  if (values.length === 0) throw new Error(`${name}: values must not be empty`);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${name}: value ${values[i]} is not finite`);
    if (i > 0 && values[i] === values[i - 1]) throw new Error(`${name}: value ${values[i]} is listed twice`);
  }
  const size = values.length;
  const indexOfValue = valueIndexer(values);
  const notAllowed = (x: number): Error =>
    new Error(`${name}: input value ${x} is not one of the declared values [${values.join(', ')}]`);

  return {
    create: () => ({ counts: new Float64Array(size), n: 0 }),
    add(state, input) {
      const x = f(input);
      const i = indexOfValue(x);
      if (i < 0) throw notAllowed(x);
      state.counts[i]++;
      state.n++;
    },
    mergeInto(target, source) {
      const t = target.counts;
      const s = source.counts;
      for (let i = 0; i < size; i++) t[i] += s[i]!;
      target.n += source.n;
    },
    result(state) {
      const out: QuantilesResult = {};
      const n = state.n;
      for (const spec of specs) {
        if (n === 0) {
          out[spec.key] = null;
          continue;
        }
        const target = indexOf(spec, n);
        let cumulative = 0;
        let i = 0;
        // The value holding the element at sorted position `target`.
        while (i < size - 1 && (cumulative += state.counts[i]!) <= target) i++;
        out[spec.key] = values[i]!;
      }
      return out;
    },
    toJSON: (state) => ({ values: values.slice(), counts: Array.from(state.counts) }),
    fromJSON(json) {
      const o = jsonObject(json, name);
      const jv = jsonArray(o.values, name);
      const jc = jsonArray(o.counts, name);
      if (jv.length !== size || jc.length !== size || jv.some((v, i) => jsonNumber(v, name) !== values[i])) {
        throw new Error(`${name}.fromJSON: the snapshot's values differ from [${values.join(', ')}]`);
      }
      const counts = new Float64Array(size);
      let n = 0;
      for (let i = 0; i < size; i++) n += counts[i] = jsonCount(jc[i], name);
      return { counts, n };
    },
  };
}

/**
 * value → index into the sorted values, −1 if absent. When every value is a multiple of a small
 * step (ratings: halves) a dense table avoids hashing; otherwise a Map.
 */
function valueIndexer(values: readonly number[]): (x: number) => number {
  const lo = values[0]!;
  const hi = values[values.length - 1]!;
  for (const scale of [1, 2, 4, 5, 10, 20, 100, 1000]) {
    if (!values.every((v) => Number.isInteger(v * scale))) continue;
    const base = lo * scale;
    const span = hi * scale - base + 1;
    if (span > 1 << 16) break;
    const table = new Int32Array(span).fill(-1);
    values.forEach((v, i) => (table[v * scale - base] = i));
    return (x) => {
      const k = x * scale - base;
      if (!(k >= 0 && k < span) || !Number.isInteger(k)) return -1;
      const i = table[k]!;
      // Guard against x that only rounds onto a slot (x·scale integral but x not a declared value).
      return i >= 0 && values[i] === x ? i : -1;
    };
  }
  const map = new Map<number, number>();
  values.forEach((v, i) => map.set(v, i));
  return (x) => map.get(x) ?? -1;
}
