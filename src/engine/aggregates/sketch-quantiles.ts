/**
 * Approximate quantiles of continuous values on a DDSketch (Masson, Rim & Lee, VLDB 2019): values
 * fall into logarithmic buckets, so every quantile is within `relativeAccuracy` (relative error) of
 * the exact one, and sketches merge by adding bucket counts — a merge of parts is the sketch of
 * the whole, bucket for bucket.
 *
 * Quantile definition: DuckDB's quantile_disc (nearest rank, see quantile-rank.ts). The sketch finds
 * the bucket holding the element at that rank and returns its representative value, clamped to the
 * exact [min, max]; |estimate − exact| ≤ relativeAccuracy × |exact|. (The library's own
 * getValueAtQuantile uses rank floor(q·(n−1)), a different definition, so we do not call it.)
 *
 * Two things of @datadog/sketches-js 2.1.1 are worked around here: its merge() drops the negative
 * values' store when the target is not empty, and fromProto() loses min/max/sum and rebuilds the
 * mapping from gamma (so a restored sketch may no longer be "mergeable" with a fresh one). Merge and
 * (de)serialisation are therefore done here, from the store bins.
 */
import { DDSketch } from '@datadog/sketches-js';
import type { Aggregate } from '../aggregate.js';
import { jsonArray, jsonCount, jsonNumber, jsonNumberOrNull, jsonObject } from './json.js';
import { compileQuantiles, indexOf } from './quantile-rank.js';
import type { QuantilesResult } from './histogram-quantiles.js';

export interface SketchQuantilesOptions {
  quantiles: readonly number[];
  /** Relative accuracy α in (0, 1); default 0.01 (1 %). */
  relativeAccuracy?: number;
}

export type SketchState = DDSketch;
type Store = DDSketch['store'];

interface StoreJSON {
  /** Key of the first bin; bins hold the counts of keys minKey, minKey + 1, … */
  minKey: number;
  bins: number[];
}

export function sketchQuantiles<In>(
  f: (input: In) => number,
  options: SketchQuantilesOptions,
): Aggregate<In, SketchState, QuantilesResult> {
  const name = 'sketchQuantiles';
  const specs = compileQuantiles(options.quantiles, name);
  const relativeAccuracy = options.relativeAccuracy ?? 0.01;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new Error(`${name}: relativeAccuracy ${relativeAccuracy} is not in (0, 1)`);
  }
  const create = (): SketchState => new DDSketch({ relativeAccuracy });
  const limit = create().mapping.maxPossible;

  return {
    create,
    add(state, input) {
      const x = f(input);
      // Also rejects NaN, which the library would silently count as a zero.
      if (!(x <= limit && x >= -limit)) throw new Error(`${name}: cannot add ${x}`);
      state.accept(x);
    },
    mergeInto(target, source) {
      if (source.count === 0) return;
      mergeStore(target.store, source.store);
      mergeStore(target.negativeStore, source.negativeStore);
      target.zeroCount += source.zeroCount;
      target.count += source.count;
      target.sum += source.sum;
      if (source.min < target.min) target.min = source.min;
      if (source.max > target.max) target.max = source.max;
    },
    result(state) {
      const out: QuantilesResult = {};
      for (const spec of specs) out[spec.key] = state.count === 0 ? null : valueAtIndex(state, indexOf(spec, state.count));
      return out;
    },
    toJSON: (state) => ({
      relativeAccuracy,
      count: state.count,
      zeroCount: state.zeroCount,
      sum: state.sum,
      min: state.count === 0 ? null : state.min,
      max: state.count === 0 ? null : state.max,
      positive: storeToJSON(state.store),
      negative: storeToJSON(state.negativeStore),
    }),
    fromJSON(json) {
      const o = jsonObject(json, name);
      if (jsonNumber(o.relativeAccuracy, name) !== relativeAccuracy) {
        throw new Error(`${name}.fromJSON: snapshot has relativeAccuracy ${String(o.relativeAccuracy)}, expected ${relativeAccuracy}`);
      }
      const state = create();
      storeFromJSON(state.store, o.positive, name);
      storeFromJSON(state.negativeStore, o.negative, name);
      state.zeroCount = jsonCount(o.zeroCount, name);
      state.count = state.store.count + state.negativeStore.count + state.zeroCount;
      if (jsonCount(o.count, name) !== state.count) throw new Error(`${name}.fromJSON: count does not match the bins`);
      state.sum = jsonNumber(o.sum, name);
      if (state.count > 0) {
        state.min = jsonNumberOrNull(o.min, name) ?? Infinity;
        state.max = jsonNumberOrNull(o.max, name) ?? -Infinity;
      }
      return state;
    },
  };
}

/** The estimate of the element at 0-based sorted position `index` (< state.count). */
function valueAtIndex(state: SketchState, index: number): number {
  const negatives = state.negativeStore.count;
  let v: number;
  if (index < negatives) {
    // The negative store keys |x|: ascending x is descending key.
    v = -state.mapping.value(state.negativeStore.keyAtRank(negatives - 1 - index));
  } else if (index < negatives + state.zeroCount) {
    v = 0;
  } else {
    v = state.mapping.value(state.store.keyAtRank(index - negatives - state.zeroCount));
  }
  return v < state.min ? state.min : v > state.max ? state.max : v;
}

/** DenseStore.merge reads its argument only (and copies it when the target is empty). */
function mergeStore(target: Store, source: Store): void {
  if (source.count > 0) target.merge(source);
}

function storeToJSON(store: Store): StoreJSON | null {
  if (store.count === 0) return null;
  const from = store.minKey - store.offset;
  return { minKey: store.minKey, bins: store.bins.slice(from, store.maxKey - store.offset + 1) };
}

function storeFromJSON(store: Store, json: unknown, name: string): void {
  if (json === null) return;
  const o = jsonObject(json, name);
  const minKey = jsonNumber(o.minKey, name);
  if (!Number.isInteger(minKey)) throw new Error(`${name}.fromJSON: bin key ${minKey} is not an integer`);
  const bins = jsonArray(o.bins, name);
  for (let i = 0; i < bins.length; i++) {
    const c = jsonCount(bins[i], name);
    if (c > 0) store.add(minKey + i, c);
  }
}
