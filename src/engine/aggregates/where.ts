/** An aggregate over only the inputs a predicate accepts (e.g. transactions in a mixed stream). */
import type { Aggregate } from '../aggregate.js';

export function where<In, S, O>(accept: (input: In) => boolean, inner: Aggregate<In, S, O>): Aggregate<In, S, O> {
  return {
    ...inner,
    add(state, input) {
      if (accept(input)) inner.add(state, input);
    },
  };
}
