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
  /** A JSON-safe snapshot of the state (for checkpoints); fromJSON(toJSON(s)) ≡ s. */
  toJSON(state: State): unknown;
  fromJSON(json: unknown): State;
}

/** Aggregate with the input, state and output types erased, for collections of them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAggregate<In = any> = Aggregate<In, any, any>;

export type ResultOf<A> = A extends Aggregate<unknown, unknown, infer O> ? O : never;
