// Follows the `ratings` topic for the recommendation server, so a user's new ratings reach their
// recommendations within a second. The ratings it applies live in memory only, so it keeps no
// committed position: every start reads the topic from the earliest retained offset (the caller
// drops the ratings its training data already holds), in the background — a batch at a time
// with a turn of the event loop between batches, so catching up never holds a request back.
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { decodeBatch } from '../../events/codec.js';
import type { Consumer, EventLog } from '../../log/types.js';
import { RATINGS_TOPIC, ratingCodec, type Rating } from '../../movies/rating-event.js';

/** The group name the follower reads under (it never commits: the name only labels the reader). */
export const RECOMMEND_GROUP = 'recommend-server';

const BATCH = 2000;
/** How often the lag is measured (one look at the topic's end offsets). */
const LAG_EVERY_MS = 250;

export interface RatingsFollowerOptions {
  log: EventLog;
  onRatings: (ratings: Rating[]) => void;
  group?: string;
  /** Called when setting up or reading fails (the follower retries with a growing pause). */
  onError?: (err: unknown) => void;
  /** The first pause after a failure, doubled after each further one up to maxRetryMs (default 250 ms, 30 s). */
  retryMs?: number;
  maxRetryMs?: number;
}

export interface FollowerStats {
  /** Set up and reading without error. */
  following: boolean;
  /** Still reading what the topic held when the follower (re)started. */
  catchingUp: boolean;
  /** Ratings decoded and handed on. */
  read: number;
  /** Malformed records skipped (the ratings pipeline dead-letters them; this reader only skips). */
  skipped: number;
  /** Records on the topic not yet read (null before the first measurement). */
  lag: number | null;
  /** Why the last attempt failed, while failing; null when following. */
  lastError: string | null;
}

export class RatingsFollower {
  readonly stats: FollowerStats = { following: false, catchingUp: false, read: 0, skipped: 0, lag: null, lastError: null };
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  /** The end offsets at start: reading up to them is catching up. */
  private target = new Map<number, number>();
  private lastLag = 0;

  constructor(private readonly options: RatingsFollowerOptions) {}

  /** Starts reading in the background; failures are retried there, never thrown. */
  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Stops reading and closes the consumer. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let consumer: Consumer | null = null;
    let failures = 0;
    while (!this.stopped) {
      try {
        // A failed setup is retried from scratch; once set up, the same consumer (and its
        // positions) is kept through read errors, so no rating is applied twice.
        consumer ??= await this.open();
        const records = await consumer.poll({ maxRecords: BATCH, timeoutMs: this.stats.catchingUp ? 0 : 50 });
        if (records.length > 0) {
          const { events, rejected } = decodeBatch(ratingCodec, records);
          this.stats.skipped += rejected.length;
          if (events.length > 0) {
            this.options.onRatings(events.map((e) => e.event));
            this.stats.read += events.length;
          }
        }
        await this.measure(consumer);
        this.stats.following = true;
        this.stats.lastError = null;
        failures = 0;
        // poll resolves at once while records are waiting: give requests their turn between batches.
        if (records.length > 0) await yieldToEventLoop();
      } catch (err) {
        if (this.stopped) break;
        this.stats.following = false;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.options.onError?.(err);
        const first = this.options.retryMs ?? 250;
        await this.pause(Math.min(this.options.maxRetryMs ?? 30_000, first * 2 ** Math.min(failures++, 16)));
      }
    }
    await consumer?.close().catch(() => {});
  }

  /** A consumer at the earliest offsets, and the end offsets it must reach to be caught up. */
  private async open(): Promise<Consumer> {
    const { log } = this.options;
    const group = this.options.group ?? RECOMMEND_GROUP;
    // A position committed by an earlier version of this reader would show as a lag growing
    // forever in `streamrec topics`: drop it.
    if ((await log.committed(group, RATINGS_TOPIC)).length > 0) await log.deleteGroup(group);
    const consumer = log.consumer({ group, topics: [RATINGS_TOPIC], from: 'earliest' });
    try {
      // Taken after the consumer: it starts at or before these ends, whatever is appended meanwhile.
      const info = await log.topic(RATINGS_TOPIC);
      this.target = new Map((info?.partitions ?? []).filter((p) => p.endOffset > p.startOffset).map((p) => [p.partition, p.endOffset]));
      this.stats.catchingUp = this.target.size > 0;
      this.stats.lag = info ? info.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0) : 0;
      this.lastLag = Date.now();
    } catch (err) {
      await consumer.close().catch(() => {});
      throw err;
    }
    return consumer;
  }

  /** Whether the start's end offsets are reached, and the lag (a few times a second, and when caught up). */
  private async measure(consumer: Consumer): Promise<void> {
    const positions = consumer.positions();
    let now = false;
    if (this.stats.catchingUp) {
      const at = new Map(positions.map((p) => [p.partition, p.offset]));
      this.stats.catchingUp = [...this.target].some(([partition, end]) => (at.get(partition) ?? 0) < end);
      now = !this.stats.catchingUp;
    }
    if (!now && Date.now() - this.lastLag < LAG_EVERY_MS) return;
    this.lastLag = Date.now();
    const info = await this.options.log.topic(RATINGS_TOPIC);
    if (!info) return;
    const at = new Map(positions.map((p) => [p.partition, p.offset]));
    this.stats.lag = info.partitions.reduce((s, p) => s + Math.max(0, p.endOffset - Math.max(p.startOffset, at.get(p.partition) ?? p.startOffset)), 0);
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopping.signal }).catch(() => {});
  }
}
