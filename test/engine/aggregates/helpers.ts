/** Shared checks of the Aggregate contract, on seeded random data. */
import assert from 'node:assert/strict';
import type { Aggregate } from '../../../src/engine/aggregate.js';
import { Random } from '../../../src/util/random.js';

export const RATINGS = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5] as const;

export interface Ev {
  user: number;
  movie: number;
  rating: number;
  /** A continuous value, e.g. a latency, with negatives and zeros mixed in. */
  x: number;
  genres: readonly string[];
  tag: string;
}

const GENRES = ['Action', 'Comedy', 'Drama', 'Horror', 'Romance', 'Sci-Fi', 'Thriller'];

export function events(rng: Random, n: number): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const k = rng.int(0, 3);
    const genres: string[] = [];
    for (let j = 0; j < k; j++) genres.push(rng.pick(GENRES)); // duplicates on purpose
    out.push({
      user: rng.int(1, 50),
      movie: rng.int(1, 40),
      rating: rng.pick(RATINGS),
      x: rng.chance(0.05) ? 0 : rng.normal(3, 2) * Math.exp(rng.normal(0, 1.5)),
      genres,
      tag: rng.pick(['a', 'b', 'c', 'B', '10', '9']),
    });
  }
  return out;
}

export function aggregateAll<In, S, O>(agg: Aggregate<In, S, O>, inputs: readonly In[]): S {
  const s = agg.create();
  for (const x of inputs) agg.add(s, x);
  return s;
}

/** Each item goes to one of k parts at random (parts may be empty). */
export function splitRandom<T>(items: readonly T[], k: number, rng: Random): T[][] {
  const parts: T[][] = Array.from({ length: k }, () => []);
  for (const item of items) parts[rng.int(0, k - 1)]!.push(item);
  return parts;
}

export function roundTrip<In, S, O>(agg: Aggregate<In, S, O>, state: S): S {
  return agg.fromJSON(JSON.parse(JSON.stringify(agg.toJSON(state))));
}

/** mergeInto that also asserts the source is unchanged (its snapshot and its result). */
export function checkedMerge<In, S, O>(agg: Aggregate<In, S, O>, target: S, source: S): void {
  const before = JSON.stringify(agg.toJSON(source));
  const resultBefore = agg.result(source);
  agg.mergeInto(target, source);
  assert.equal(JSON.stringify(agg.toJSON(source)), before, 'mergeInto changed its source');
  assert.deepStrictEqual(agg.result(source), resultBefore, 'mergeInto changed its source');
}

/**
 * Aggregate each part, then merge states pairwise in random order (random merge trees: sometimes
 * into a fresh state, sometimes into another part's state) until one is left. The parts' states
 * that served as sources are then fed more input, to catch a target sharing structure with them.
 */
export function mergeParts<In, S, O>(agg: Aggregate<In, S, O>, parts: readonly (readonly In[])[], rng: Random): S {
  const states = parts.map((p) => aggregateAll(agg, p));
  if (rng.chance(0.5)) states.push(agg.create());
  const sources: S[] = [];
  while (states.length > 1) {
    const i = rng.int(0, states.length - 1);
    let j = rng.int(0, states.length - 2);
    if (j >= i) j++;
    checkedMerge(agg, states[i]!, states[j]!);
    sources.push(states[j]!);
    states.splice(j, 1);
  }
  const merged = states[0]!;
  const snapshot = JSON.stringify(agg.toJSON(merged));
  const extra = parts.flat().slice(0, 5);
  for (const s of sources) for (const x of extra) agg.add(s, x);
  assert.equal(JSON.stringify(agg.toJSON(merged)), snapshot, 'merged state shares structure with a source');
  return merged;
}

export interface ContractCheck<In, O> {
  /** The expected result for a list of inputs (brute force). */
  expected: (inputs: readonly In[]) => O;
  /** Asserts a result equals an expected one; default deepStrictEqual. */
  equal?: (actual: O, expected: O, message: string) => void;
}

/**
 * The contract on one data set: result = brute force; any split merged in any order = whole;
 * JSON round trip keeps the result and leaves a state that accepts add and mergeInto; empty states.
 */
export function checkContract<In, S, O>(
  agg: Aggregate<In, S, O>,
  inputs: readonly In[],
  rng: Random,
  check: ContractCheck<In, O>,
): void {
  const equal = check.equal ?? ((a: O, e: O, m: string) => assert.deepStrictEqual(a, e, m));
  const whole = aggregateAll(agg, inputs);
  equal(agg.result(whole), check.expected(inputs), 'whole vs brute force');

  for (const k of [1, 2, 3, 7, 16]) {
    const merged = mergeParts(agg, splitRandom(inputs, k, rng), rng);
    equal(agg.result(merged), check.expected(inputs), `merge of ${k} parts vs brute force`);
  }

  // resultOfMerged, where an aggregate has it: the merged result without merging, sources unchanged.
  if (agg.resultOfMerged) {
    for (const k of [1, 2, 5, 16]) {
      const states = splitRandom(inputs, k, rng).map((part) => aggregateAll(agg, part));
      const before = states.map((st) => JSON.stringify(agg.toJSON(st)));
      equal(agg.resultOfMerged(states), check.expected(inputs), `resultOfMerged of ${k} parts vs brute force`);
      assert.deepStrictEqual(states.map((st) => JSON.stringify(agg.toJSON(st))), before, 'resultOfMerged changed a state');
    }
    equal(agg.resultOfMerged([]), check.expected([]), 'resultOfMerged of no states');
  }

  // JSON round trip, then keep using the restored state.
  const half = Math.floor(inputs.length / 2);
  const first = inputs.slice(0, half);
  const rest = inputs.slice(half);
  const restored = roundTrip(agg, aggregateAll(agg, first));
  equal(agg.result(restored), check.expected(first), 'round trip keeps the result');
  const restRestored = roundTrip(agg, aggregateAll(agg, rest));
  for (const x of rest.slice(0, 3)) agg.add(restored, x);
  checkedMerge(agg, restored, roundTrip(agg, aggregateAll(agg, rest.slice(3))));
  equal(agg.result(restored), check.expected(inputs), 'restored state accepts add and mergeInto');
  const other = aggregateAll(agg, first);
  checkedMerge(agg, other, restRestored);
  equal(agg.result(other), check.expected(inputs), 'a restored state merges into a live one');

  // Empty states.
  const empty = agg.create();
  equal(agg.result(empty), check.expected([]), 'empty state');
  equal(agg.result(roundTrip(agg, empty)), check.expected([]), 'empty state round trip');
  const intoEmpty = agg.create();
  checkedMerge(agg, intoEmpty, whole);
  equal(agg.result(intoEmpty), check.expected(inputs), 'merge into an empty state');
  const fromEmpty = aggregateAll(agg, inputs);
  checkedMerge(agg, fromEmpty, agg.create());
  equal(agg.result(fromEmpty), check.expected(inputs), 'merge of an empty state');
}

export function closeTo(actual: number | null, expected: number | null, rel: number, message: string): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, message);
    return;
  }
  const tol = rel * Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(Math.abs(actual - expected) <= tol, `${message}: ${actual} vs ${expected} (tolerance ${tol})`);
}

/** Seeds for the random data sets each test runs over. */
export const SEEDS = [1, 2, 3, 42, 2024];

export function sizes(rng: Random): number[] {
  return [1, 2, rng.int(3, 20), rng.int(100, 400), 3000];
}

export { Random };
