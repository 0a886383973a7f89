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
      for (const [k, s] of state) setOwn(out, String(k), inner.result(s));
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

/** out[name] = value, also for "__proto__" (which must become an own property, not the prototype). */
function setOwn<O>(out: Record<string, O>, name: string, value: O): void {
  if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  else out[name] = value;
}

/**
 * String labels numbered 0, 1, 2 … in the order first asked for. A pipeline numbers its group
 * labels (a catalogue's genres) once, ahead of time, so groupByIndex finds a group per input by
 * array index instead of hashing a string.
 */
export class LabelIndex {
  private readonly ids = new Map<string, number>();
  readonly labels: string[] = [];

  constructor(labels: Iterable<string> = []) {
    for (const label of labels) this.idOf(label);
  }

  /** The label's id, numbering it if it is new. */
  idOf(label: string): number {
    let id = this.ids.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.ids.set(label, id);
      this.labels.push(label);
    }
    return id;
  }
}

/** Inner state per label id (undefined: no input for that label yet). */
export type IndexGroupState<S> = (S | undefined)[];

/**
 * groupBy over the labels of a LabelIndex, given per input as ids: an array index per group
 * instead of a Map lookup. Results and snapshots are keyed by label, like groupBy's with those
 * strings as keys (a snapshot of either reads back as the other), but list groups in id order —
 * one order for every window, so results share one object shape, cheap to build and serialize.
 * A repeated id within one input counts once.
 */
export function groupByIndex<In, S, O>(
  index: LabelIndex,
  idsOf: (input: In) => number | readonly number[],
  inner: Aggregate<In, S, O>,
): Aggregate<In, IndexGroupState<S>, Record<string, O>> {
  const groupOf = labelGroup(index, inner);
  return labelGroups(index, inner, (state, input) => {
    const ids = idsOf(input);
    if (typeof ids === 'number') {
      inner.add(groupOf(state, ids), input);
      return;
    }
    outer: for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      for (let j = 0; j < i; j++) if (ids[j] === id) continue outer;
      inner.add(groupOf(state, id), input);
    }
  });
}

/**
 * groupByIndex with an input's label ids given as the bits of one 32-bit mask (bit i: label i;
 * labels 0–31): when each input's labels are known ahead — a movie's genres — a pipeline keeps one
 * mask per key in a typed array, one load per input instead of following a list.
 */
export function groupByFlags<In, S, O>(
  index: LabelIndex,
  flagsOf: (input: In) => number,
  inner: Aggregate<In, S, O>,
): Aggregate<In, IndexGroupState<S>, Record<string, O>> {
  const groupOf = labelGroup(index, inner);
  return labelGroups(index, inner, (state, input) => {
    for (let flags = flagsOf(input) | 0; flags !== 0; flags &= flags - 1) {
      inner.add(groupOf(state, 31 - Math.clz32(flags & -flags)), input);
    }
  });
}

/** The group of label `id` in a state, created on first use. */
function labelGroup<S>(index: LabelIndex, inner: Aggregate<never, S, unknown>): (state: IndexGroupState<S>, id: number) => S {
  return (state, id) => {
    let s = state[id];
    if (s === undefined) {
      if (!(id >= 0 && id < index.labels.length && Number.isInteger(id))) throw new Error(`groupByIndex: ${id} is not a label id`);
      // Fill any gap below id first, so the array stays packed.
      while (state.length < id) state.push(undefined);
      s = inner.create();
      state[id] = s;
    }
    return s;
  };
}

/** The array-of-inner-states aggregate groupByIndex and groupByFlags share; only `add` differs. */
function labelGroups<In, S, O>(
  index: LabelIndex,
  inner: Aggregate<never, S, O>,
  add: (state: IndexGroupState<S>, input: In) => void,
): Aggregate<In, IndexGroupState<S>, Record<string, O>> {
  const groupOf = labelGroup(index, inner);
  return {
    create: () => [],
    add,
    mergeInto(target, source) {
      for (let id = 0; id < source.length; id++) {
        const s = source[id];
        if (s !== undefined) inner.mergeInto(groupOf(target, id), s);
      }
    },
    result(state) {
      const out: Record<string, O> = {};
      for (let id = 0; id < state.length; id++) {
        const s = state[id];
        if (s !== undefined) setOwn(out, index.labels[id]!, inner.result(s));
      }
      return out;
    },
    toJSON(state) {
      const out: [string, unknown][] = [];
      for (let id = 0; id < state.length; id++) {
        const s = state[id];
        if (s !== undefined) out.push([index.labels[id]!, inner.toJSON(s)]);
      }
      return out;
    },
    fromJSON(json) {
      const state: IndexGroupState<S> = [];
      for (const row of jsonArray(json, 'groupByIndex')) {
        const [label, innerJson] = jsonArray(row, 'groupByIndex');
        if (typeof label !== 'string') throw new Error(`groupByIndex.fromJSON: expected a string label, got ${JSON.stringify(label)}`);
        const id = index.idOf(label);
        if (state[id] !== undefined) throw new Error(`groupByIndex.fromJSON: label ${JSON.stringify(label)} is listed twice`);
        while (state.length < id) state.push(undefined);
        state[id] = inner.fromJSON(innerJson);
      }
      return state;
    },
  };
}
