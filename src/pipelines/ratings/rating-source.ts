import { Random } from '../../util/random.js';
import type { Rating } from '../../movies/rating-event.js';
import type { LatentRatingModel } from './rating-model.js';

export interface RatingSourceOptions {
  seed: number;
  /** Share of events whose event time lies behind their emission time. */
  lateFraction?: number;
  /** A late event's delay is drawn uniformly from [minDelayMs, maxDelayMs]. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Turns the model's samples into rating events stamped with an event time: the emission time,
 * or for the configured fraction an earlier time (out-of-order and late events, as mobile
 * clients and retries produce). Pure apart from the seeded random source.
 */
export class RatingSource {
  private readonly rng: Random;
  private readonly lateFraction: number;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly model: LatentRatingModel,
    options: RatingSourceOptions,
  ) {
    this.rng = new Random(options.seed);
    this.lateFraction = options.lateFraction ?? 0;
    this.minDelayMs = options.minDelayMs ?? 0;
    this.maxDelayMs = options.maxDelayMs ?? 15 * 60_000;
    if (!(this.lateFraction >= 0 && this.lateFraction <= 1)) throw new Error(`late fraction must be within 0..1, got ${this.lateFraction}`);
    if (!(this.minDelayMs >= 0 && this.maxDelayMs >= this.minDelayMs)) {
      throw new Error(`delays must satisfy 0 <= min (${this.minDelayMs}) <= max (${this.maxDelayMs})`);
    }
  }

  /** The next event, emitted at `emitTime` (epoch ms). */
  next(emitTime: number): Rating {
    const { userId, movieId, rating } = this.model.sample(this.rng);
    let timestamp = Math.floor(emitTime);
    if (this.lateFraction > 0 && this.rng.chance(this.lateFraction)) {
      timestamp -= Math.max(1, Math.round(this.minDelayMs + this.rng.next() * (this.maxDelayMs - this.minDelayMs)));
    }
    return { userId, movieId, rating, timestamp };
  }
}
