import type { Aggregate } from './aggregate.js';

/**
 * An aggregate whose result is its own state as JSON text: what a partition task hands the window
 * merge (`window-merge.ts`) for each window it closed, so that the merge can combine the
 * partitions' states with `mergeInto` — exactly, since every aggregate's state is mergeable. Text
 * because it is a copy (a pane that stays open for another window goes on changing) and because
 * the task's report is written as text: serialised once, when the window closes.
 */
export function partialAggregate<In, S>(agg: Aggregate<In, S, unknown>): Aggregate<In, S, string> {
  const copy = (state: S): string => JSON.stringify(agg.toJSON(state));
  return {
    create: () => agg.create(),
    add: (state, input) => agg.add(state, input),
    mergeInto: (target, source) => agg.mergeInto(target, source),
    result: copy,
    resultOfMerged: (states) => {
      const acc = agg.create();
      for (const s of states) agg.mergeInto(acc, s);
      return copy(acc);
    },
    toJSON: (state) => agg.toJSON(state),
    fromJSON: (json) => agg.fromJSON(json),
  };
}
