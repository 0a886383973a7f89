import { partitionForKey } from './partitioner.js';
import { LogError, type ProducerRecord } from './types.js';

/**
 * Which partition each record of a send goes to, the same way in every adapter: a forced
 * partition (checked against the count), else the key's murmur2 hash (Kafka's default
 * partitioner), else one partition for all keyless records of the call, rotating between calls
 * (Kafka's sticky partitioner).
 */
export class PartitionChooser {
  private readonly roundRobin = new Map<string, number>();

  choose(topic: string, partitions: number, records: readonly ProducerRecord[]): number[] {
    const sticky = (this.roundRobin.get(topic) ?? 0) % partitions;
    this.roundRobin.set(topic, sticky + 1);
    const out = new Array<number>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      if (r.partition !== undefined) {
        if (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= partitions) {
          throw new LogError(`send to ${topic}: partition ${r.partition} out of range 0..${partitions - 1}`);
        }
        out[i] = r.partition;
      } else {
        out[i] = r.key == null ? sticky : partitions === 1 ? 0 : partitionForKey(r.key, partitions);
      }
    }
    return out;
  }
}

/** Record indexes grouped by partition, input order kept within each. */
export function indexesByPartition(partitionOf: readonly number[]): Map<number, number[]> {
  const byPartition = new Map<number, number[]>();
  for (let i = 0; i < partitionOf.length; i++) {
    const p = partitionOf[i]!;
    let list = byPartition.get(p);
    if (!list) byPartition.set(p, (list = []));
    list.push(i);
  }
  return byPartition;
}
