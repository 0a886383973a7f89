/**
 * Topics on a remote broker: names checked like everywhere else, partition counts cached (a
 * topic's count never changes while it exists), the log's own topics kept out of listings.
 */
import type { Broker } from './broker.js';
import { INTERNAL_TOPIC_PREFIX } from './coordination-record.js';
import { validatePartitionCount, validateTopicName } from '../topic-name.js';
import { LogError, type TopicConfig, type TopicInfo } from '../types.js';

export class RemoteTopics {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly broker: Broker,
    private readonly defaultPartitions: number,
  ) {}

  async create(name: string, config: TopicConfig): Promise<void> {
    validateTopicName(name);
    validatePartitionCount(name, config.partitions);
    if ((await this.broker.partitions(name)) !== null) throw new LogError(`topic ${name} already exists`);
    this.counts.set(name, await this.broker.ensureTopic(name, config.partitions));
  }

  /** The topic's partition count, creating it (with `config`, else the default count) if need be. */
  async ensure(name: string, config?: TopicConfig): Promise<number> {
    const known = this.counts.get(name);
    if (known !== undefined) return known;
    validateTopicName(name);
    const partitions = config?.partitions ?? this.defaultPartitions;
    validatePartitionCount(name, partitions);
    const count = await this.broker.ensureTopic(name, partitions);
    this.counts.set(name, count);
    return count;
  }

  /** The partition count, or null for a topic that does not exist (yet). */
  async partitions(name: string): Promise<number | null> {
    const known = this.counts.get(name);
    if (known !== undefined) return known;
    const count = await this.broker.partitions(name);
    if (count !== null) this.counts.set(name, count);
    return count;
  }

  async require(name: string): Promise<number> {
    const count = await this.partitions(name);
    if (count === null) throw new LogError(`unknown topic: ${name}`);
    return count;
  }

  async delete(name: string): Promise<void> {
    await this.require(name);
    this.counts.delete(name);
    await this.broker.deleteTopic(name);
  }

  async names(): Promise<string[]> {
    return (await this.broker.listTopics()).filter((n) => !n.startsWith(INTERNAL_TOPIC_PREFIX)).sort();
  }

  /** Offsets as the server reports them; retention is the server's own, so none is reported here. */
  async info(name: string): Promise<TopicInfo | null> {
    const count = await this.broker.partitions(name);
    if (count === null) {
      this.counts.delete(name);
      return null;
    }
    const partitions = await Promise.all(
      Array.from({ length: count }, async (_, partition) => {
        const o = await this.broker.offsets(name, partition);
        return { partition, startOffset: o.start, endOffset: o.end, bytes: o.bytes ?? 0 };
      }),
    );
    return { name, partitions, retention: { maxAgeMs: null, maxBytes: null } };
  }
}
