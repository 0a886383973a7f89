import type { TopicInfo, TopicPartitionOffset } from '../log/types.js';

/** One partition of one source topic. */
export interface SourceSlot {
  topic: string;
  /** The topic's place in the source (its order breaks event-time ties). */
  topicIndex: number;
  partition: number;
}

/**
 * The partitions a pipeline reads, numbered once: topic by topic in the source's order, then by
 * partition. The merge takes the lower number on an event-time tie, and a checkpoint keeps one
 * position a slot in this order — for a single topic, exactly its partitions 0…n-1, as before
 * sources could have several topics.
 */
export class SourceLayout {
  readonly slots: readonly SourceSlot[];
  /** Partitions per topic, in the source's order. */
  readonly partitions: readonly number[];

  /** `only`: just that partition of every topic (a partition task's share, see `partition-task.ts`). */
  constructor(
    readonly topics: readonly { name: string; partitions: number }[],
    only?: number,
  ) {
    const slots: SourceSlot[] = [];
    topics.forEach((t, topicIndex) => {
      for (let partition = 0; partition < t.partitions; partition++) {
        if (only === undefined || partition === only) slots.push({ topic: t.name, topicIndex, partition });
      }
    });
    this.slots = slots;
    this.partitions = topics.map((t) => t.partitions);
  }

  static of(infos: readonly TopicInfo[], only?: number): SourceLayout {
    return new SourceLayout(
      infos.map((t) => ({ name: t.name, partitions: t.partitions.length })),
      only,
    );
  }

  /** Each slot's position as the group offset a checkpoint commits. */
  offsets(positions: readonly number[]): TopicPartitionOffset[] {
    return this.slots.map((s, i) => ({ topic: s.topic, partition: s.partition, offset: positions[i]! }));
  }

  /** Where each slot starts or ends now, from the topics' current info (same order as the layout). */
  bounds(infos: readonly TopicInfo[], which: 'startOffset' | 'endOffset'): number[] {
    return this.slots.map((s) => infos[s.topicIndex]?.partitions[s.partition]?.[which] ?? 0);
  }

  /** Records not yet taken: the end of every slot minus its position. */
  lag(infos: readonly (TopicInfo | null)[], positions: readonly number[]): number {
    let lag = 0;
    this.slots.forEach((s, i) => {
      const end = infos[s.topicIndex]?.partitions[s.partition]?.endOffset ?? 0;
      lag += Math.max(0, end - (positions[i] ?? 0));
    });
    return lag;
  }
}
