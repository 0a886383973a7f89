/**
 * How many of a group's partitions one member should hold: an even split, the remainder going to
 * the members with the lowest slots — so every member computes the same split from the same list
 * of live members, with no leader to ask.
 */
export function fairShare(partitions: number, liveSlots: readonly number[], mySlot: number): number {
  const slots = [...new Set([...liveSlots, mySlot])].sort((a, b) => a - b);
  const rank = slots.indexOf(mySlot);
  return Math.floor(partitions / slots.length) + (rank < partitions % slots.length ? 1 : 0);
}
