/**
 * Several named aggregates over the same input as one aggregate: how a pipeline declares what a
 * window computes.
 *
 *   const perWindow = record({ n: count(), mean: avg((e: Rating) => e.rating), p: exactQuantiles(…) });
 *   // Aggregate<Rating, RecordState, { n: number; mean: number | null; p: QuantilesResult }>
 *
 * The state is an array of the fields' states in declaration order (no per-add lookups by name);
 * toJSON gives an object keyed by field name, so a checkpoint survives reordering fields.
 */
import { mergedResult, type Aggregate, type AnyAggregate, type ResultOf } from '../aggregate.js';
import { jsonObject } from './json.js';

export type AggregateFields = { readonly [name: string]: AnyAggregate };

/**
 * The input every field accepts: the intersection of the fields' inputs. Inputs typed unknown or
 * any (count() in this position is inferred as Aggregate<any, …>) drop out of it.
 */
export type RecordInput<F extends AggregateFields> = {
  [K in keyof F]: (input: InputOf<F[K]>) => void;
}[keyof F] extends (input: infer I) => void
  ? I
  : never;

type InputOf<A> = A extends Aggregate<infer I, infer _S, infer _O> ? (0 extends 1 & I ? unknown : I) : never;

export type RecordResult<F extends AggregateFields> = { [K in keyof F]: ResultOf<F[K]> };

/** One state per field, in the order of Object.keys(fields). */
export type RecordState = unknown[];

export function record<F extends AggregateFields>(fields: F): Aggregate<RecordInput<F>, RecordState, RecordResult<F>> {
  const names = Object.keys(fields);
  if (names.length === 0) throw new Error('record: at least one field is required');
  if (names.includes('__proto__')) throw new Error('record: "__proto__" cannot be a field name');
  const aggs: AnyAggregate[] = names.map((name) => fields[name]!);
  const size = aggs.length;
  return {
    create() {
      const state: unknown[] = new Array(size);
      for (let i = 0; i < size; i++) state[i] = aggs[i]!.create();
      return state;
    },
    add(state, input) {
      for (let i = 0; i < size; i++) aggs[i]!.add(state[i], input);
    },
    mergeInto(target, source) {
      for (let i = 0; i < size; i++) aggs[i]!.mergeInto(target[i], source[i]);
    },
    result(state) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[names[i]!] = aggs[i]!.result(state[i]);
      return out as RecordResult<F>;
    },
    resultOfMerged(states) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[names[i]!] = mergedResult(aggs[i]!, states.map((s) => s[i]));
      return out as RecordResult<F>;
    },
    toJSON(state) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) out[names[i]!] = aggs[i]!.toJSON(state[i]);
      return out;
    },
    fromJSON(json) {
      const o = jsonObject(json, 'record');
      return names.map((name, i) => {
        if (!Object.hasOwn(o, name)) throw new Error(`record.fromJSON: the snapshot has no field "${name}"`);
        return aggs[i]!.fromJSON(o[name]);
      });
    },
  };
}
