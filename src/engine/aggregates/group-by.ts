/**
 * Group inputs by key and run an inner aggregate per group. An input may belong to several groups
 * (a movie has several genres): keysOf returns one key or an array of keys; a key repeated within
 * one input's array counts once. The result is a plain object, key → inner result (JSON-ready;
 * number keys become their string form, and integer-like keys enumerate in ascending order, as
 * in any JS object). groupByEntries gives the keys with their original types.
 */
import type { Aggregate } from '../aggregate.js';
import { jsonArray, jsonKey } from './json.js';
import { compareKeys } from './keys.js';

export type GroupByState<K extends string | number, S> = Map<K, S>;

export function groupBy<In, K extends string | number, S, O>(
  keysOf: (input: In) => K | readonly K[],
  inner: Aggregate<In, S, O>,
): Aggregate<In, GroupByState<K, S>, Record<string, O>> {
  return keyedAggregate(inner, (state, input: In) => {
    const keys = keysOf(input);
    if (!Array.isArray(keys)) {
      inner.add(groupState(state, keys as K, inner), input);
      return;
    }
    const list = keys as readonly K[];
    outer: for (let i = 0; i < list.length; i++) {
      const k = list[i]!;
      for (let j = 0; j < i; j++) if (list[j] === k) continue outer;
      inner.add(groupState(state, k, inner), input);
    }
  });
}

/**
 * Like groupBy, but an input expands to [key, value] entries and the inner aggregate sees the
 * values: a shop transaction's items give units and revenue per category.
 */
export function groupByEach<In, K extends string | number, V, S, O>(
  entriesOf: (input: In) => Iterable<readonly [K, V]>,
  inner: Aggregate<V, S, O>,
): Aggregate<In, GroupByState<K, S>, Record<string, O>> {
  return keyedAggregate(inner, (state, input: In) => {
    for (const [k, v] of entriesOf(input)) inner.add(groupState(state, k, inner), v);
  });
}

function groupState<K, S>(state: Map<K, S>, k: K, inner: Aggregate<never, S, unknown>): S {
  let s = state.get(k);
  if (s === undefined) {
    s = inner.create();
    state.set(k, s);
  }
  return s;
}

/** The map-of-inner-states aggregate both groupings share; only `add` differs. */
function keyedAggregate<In, K extends string | number, S, O>(
  inner: Aggregate<never, S, O>,
  add: (state: GroupByState<K, S>, input: In) => void,
): Aggregate<In, GroupByState<K, S>, Record<string, O>> {
  return {
    create: () => new Map<K, S>(),
    add,
    mergeInto(target, source) {
      for (const [k, s] of source) inner.mergeInto(groupState(target, k, inner), s);
    },
    result(state) {
      const out: Record<string, O> = {};
      for (const [k, s] of state) {
        const name = String(k);
        const value = inner.result(s);
        // "__proto__" must become an own property, not the object's prototype.
        if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
        else out[name] = value;
      }
      return out;
    },
    toJSON: (state) => Array.from(state, ([k, s]) => [k, inner.toJSON(s)]),
    fromJSON(json) {
      const state = new Map<K, S>();
      for (const row of jsonArray(json, 'groupBy')) {
        const pair = jsonArray(row, 'groupBy');
        state.set(jsonKey(pair[0], 'groupBy') as K, inner.fromJSON(pair[1]));
      }
      return state;
    },
  };
}

/** The groups of a groupBy state as [key, inner result] pairs, keys in compareKeys order. */
export function groupByEntries<K extends string | number, S, O>(
  state: GroupByState<K, S>,
  inner: Aggregate<never, S, O>,
): [K, O][] {
  return Array.from(state.keys())
    .sort(compareKeys)
    .map((k) => [k, inner.result(state.get(k)!)]);
}
