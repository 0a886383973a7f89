/**
 * The aggregate contract. Every aggregate keeps a mergeable state: partial states built from any
 * split of the input combine (mergeInto) into the state one pass over all of it would give —
 * exactly, or within a sketch's stated error. The engine relies on this twice: sliding windows are
 * merged from panes, and a later scale-out merges partial states from several instances.
 * States are mutable for speed; `add` and `mergeInto` change the target and never the source.
 */
export interface Aggregate<In, State, Out> {
  create(): State;
  add(state: State, input: In): void;
  /** target ⊕= source; source is left unchanged. */
  mergeInto(target: State, source: State): void;
  result(state: State): Out;
  /**
   * Optional: result(create() ⊕ states[0] ⊕ states[1] …) without building the merged state, for
   * aggregates that can do it more cheaply (top-N ranks only candidate keys). Must give exactly
   * what the merge would; the window operator uses it for windows of several panes.
   */
  resultOfMerged?(states: readonly State[]): Out;
  /** A JSON-safe snapshot of the state (for checkpoints); fromJSON(toJSON(s)) ≡ s. */
  toJSON(state: State): unknown;
  fromJSON(json: unknown): State;
}

/** Aggregate with the input, state and output types erased, for collections of them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAggregate<In = any> = Aggregate<In, any, any>;

export type ResultOf<A> = A extends Aggregate<unknown, unknown, infer O> ? O : never;

/** The result of merging `states` in order: the aggregate's resultOfMerged, or a fresh state merged into. */
export function mergedResult<In, S, O>(agg: Aggregate<In, S, O>, states: readonly S[]): O {
  if (agg.resultOfMerged) return agg.resultOfMerged(states);
  const acc = agg.create();
  for (const s of states) agg.mergeInto(acc, s);
  return agg.result(acc);
}
