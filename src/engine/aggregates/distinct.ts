/** Exact distinct count over string or number keys (1 and "1" are different keys). */
import type { Aggregate } from '../aggregate.js';
import { jsonArray, jsonKey } from './json.js';

export type DistinctState<K extends string | number> = Set<K>;

export function distinctCount<In, K extends string | number = string | number>(
  f: (input: In) => K,
): Aggregate<In, DistinctState<K>, number> {
  return {
    create: () => new Set<K>(),
    add(state, input) {
      state.add(f(input));
    },
    mergeInto(target, source) {
      for (const k of source) target.add(k);
    },
    result: (state) => state.size,
    toJSON: (state) => Array.from(state),
    fromJSON: (json) => new Set(jsonArray(json, 'distinctCount').map((k) => jsonKey(k, 'distinctCount') as K)),
  };
}
