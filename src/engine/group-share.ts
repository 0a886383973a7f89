/**
 * How many of a group's partitions one member should hold: an even split, the remainder going to
 * the members with the lowest slots — so every member computes the same split from the same list
 * of live members, with no leader to ask.
 *
 * The member that merges the partials into final results (`window-merge.ts`) does work the
 * others do not: it measures it in partitions' worth (`weight`, see `group-runner.ts`) and holds
 * that many fewer partitions, the others sharing them. Without a live merger or a weight, the
 * split is even.
 */
export interface MergerLoad {
  /** The merging member's slot. */
  slot: number;
  /** Its merging, in partitions' worth of processing (0: negligible). */
  weight: number;
}

export function fairShare(partitions: number, liveSlots: readonly number[], mySlot: number, merger: MergerLoad | null = null): number {
  const slots = [...new Set([...liveSlots, mySlot])].sort((a, b) => a - b);
  const even = (members: readonly number[], total: number) => {
    const rank = members.indexOf(mySlot);
    return Math.floor(total / members.length) + (rank < total % members.length ? 1 : 0);
  };
  if (!merger || merger.weight <= 0 || slots.length === 1 || !slots.includes(merger.slot)) return even(slots, partitions);
  const mergerShare = Math.max(0, Math.min(partitions, Math.round((partitions + merger.weight) / slots.length - merger.weight)));
  if (mySlot === merger.slot) return mergerShare;
  return even(
    slots.filter((s) => s !== merger.slot),
    partitions - mergerShare,
  );
}
