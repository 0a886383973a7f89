// Follows the `ratings` topic for the recommendation server, so a user's new ratings reach their
// recommendations within a second. A consumer group of its own: the first run starts at the end
// of the topic (the training data already holds the past), later runs resume where it committed.
import { decodeBatch } from '../../events/codec.js';
import type { Consumer, EventLog } from '../../log/types.js';
import { RATINGS_TOPIC, ratingCodec, type Rating } from '../../pipelines/ratings/rating-event.js';

export const RECOMMEND_GROUP = 'recommend-server';

export interface RatingsFollowerOptions {
  log: EventLog;
  onRatings: (ratings: Rating[]) => void;
  group?: string;
  /** How often positions are committed. */
  commitEveryMs?: number;
  /** Called when reading fails (the loop goes on after a pause). */
  onError?: (err: unknown) => void;
}

export interface FollowerStats {
  applied: number;
  /** Malformed records skipped (the ratings pipeline dead-letters them; this reader only skips). */
  skipped: number;
  /** Records on the topic not yet read, as of the last commit. */
  lag: number | null;
}

export class RatingsFollower {
  readonly stats: FollowerStats = { applied: 0, skipped: 0, lag: null };
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: RatingsFollowerOptions) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Stops reading, commits the positions reached, and closes the consumer. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    const group = this.options.group ?? RECOMMEND_GROUP;
    const committedBefore = await log.committed(group, RATINGS_TOPIC);
    const consumer = log.consumer({ group, topics: [RATINGS_TOPIC], from: 'committed', resetTo: 'latest' });
    // A topic created after we subscribed holds nothing the training saw: read it from its start.
    let waitingForTopic = committedBefore.length === 0 && (await log.topic(RATINGS_TOPIC)) === null;
    let lastCommit = Date.now();
    try {
      while (!this.stopped) {
        try {
          if (waitingForTopic) {
            // Not polling until then: a poll could assign the new topic at its end and skip records.
            waitingForTopic = !(await this.seekToStartIfCreated(consumer));
            if (waitingForTopic) {
              await new Promise((r) => setTimeout(r, 50));
              continue;
            }
          }
          const records = await consumer.poll({ maxRecords: 5000, timeoutMs: 50 });
          if (records.length > 0) {
            const { events, rejected } = decodeBatch(ratingCodec, records);
            this.stats.skipped += rejected.length;
            if (events.length > 0) {
              this.options.onRatings(events.map((e) => e.event));
              this.stats.applied += events.length;
            }
          }
          if (Date.now() - lastCommit >= (this.options.commitEveryMs ?? 1000)) {
            await this.commit(consumer);
            lastCommit = Date.now();
          }
        } catch (err) {
          if (this.stopped) break;
          this.options.onError?.(err);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await this.commit(consumer).catch(() => {});
    } finally {
      await consumer.close().catch(() => {});
    }
  }

  private async seekToStartIfCreated(consumer: Consumer): Promise<boolean> {
    const info = await this.options.log.topic(RATINGS_TOPIC);
    if (!info) return false;
    for (const p of info.partitions) consumer.seek(RATINGS_TOPIC, p.partition, p.startOffset);
    return true;
  }

  private async commit(consumer: Consumer): Promise<void> {
    const positions = consumer.positions();
    if (positions.length === 0) return;
    await consumer.commit(positions);
    const info = await this.options.log.topic(RATINGS_TOPIC);
    if (info) {
      const end = info.partitions.reduce((s, p) => s + p.endOffset, 0);
      this.stats.lag = Math.max(0, end - positions.reduce((s, p) => s + p.offset, 0));
    }
  }
}
