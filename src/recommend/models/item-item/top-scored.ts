// The n best movies of one item-item recommend call: the score sums in the call's scratch, ranked
// by TopN, the history (the scratch's rated marks) and `exclude` never listed.
import type { IdIndex } from '../../data/interactions.js';
import { TopN, type RecommendOptions, type Scored } from '../recommender.js';
import type { CallScratch } from './call-scratch.js';

export interface TopScoredInput {
  n: number;
  options: RecommendOptions;
  /** Dense index ↔ raw id of the scratch's indices. */
  index: IdIndex;
  /** The call's marks and scores: its sums where `add` reached, or all of `score` after a dense kernel. */
  scratch: CallScratch;
  /** 'sparse': the kernel summed with `add`, and the indices it reached are ranked; 'dense': it wrote every score, and every index is ranked. */
  kernel: 'sparse' | 'dense';
}

/** The n best (TopN's order) of the scored indices, or of the known candidates when given. */
export function topScored(input: TopScoredInput): Scored[] {
  const { options, index, scratch } = input;
  const dense = input.kernel === 'dense';
  const scores = scratch.score;
  const top = new TopN(Math.floor(input.n));
  const { exclude, candidates } = options;
  const consider = (j: number) => {
    // A candidate no sum reached scores 0.
    const score = dense ? scores[j] : scratch.sum(j);
    // Below the n-th best (the heap's threshold) a movie cannot enter: skip the lookups.
    if (score < top.threshold || scratch.isRated(j)) return;
    const id = index.ids[j];
    if (exclude === undefined || !exclude(id)) top.offer(id, score);
  };
  if (candidates !== undefined) {
    // A candidate listed twice is offered once: a list never holds a movie twice.
    for (const id of candidates) {
      const j = index.index(id);
      if (j >= 0 && scratch.markOffered(j)) consider(j);
    }
  } else if (dense) {
    for (let j = 0; j < index.size; j++) consider(j);
  } else {
    for (const j of scratch.touched) consider(j);
  }
  return top.result();
}
