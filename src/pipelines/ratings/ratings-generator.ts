import type { EventLog } from '../../log/types.js';
import { runPaced, type DiskProblem, type PacedStats } from '../paced-producer.js';
import type { Catalogue } from '../../movies/catalogue.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec } from '../../movies/rating-event.js';
import { LatentRatingModel } from './rating-model.js';
import { RatingSource } from './rating-source.js';

export interface RatingsGeneratorOptions {
  log: EventLog;
  catalogue: Catalogue;
  users: number;
  seed: number;
  /** Ratings per second; Infinity for as fast as the log takes. */
  rate: number;
  count?: number;
  durationMs?: number;
  lateFraction?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  backfill?: { fromMs: number; spanMs: number };
  signal?: AbortSignal;
  onProgress?: (stats: PacedStats) => void;
  /** See `PacedRunOptions.onDiskProblem` (default: a line on stderr). */
  onDiskProblem?: (problem: DiskProblem | null) => void;
}

/** Generates ratings from the latent-factor model into the ratings topic, keyed by user. */
export async function generateRatings(options: RatingsGeneratorOptions): Promise<PacedStats> {
  const model = new LatentRatingModel({ catalogue: options.catalogue, users: options.users, seed: options.seed });
  const source = new RatingSource(model, {
    seed: options.seed + 1,
    lateFraction: options.lateFraction,
    minDelayMs: options.minDelayMs,
    maxDelayMs: options.maxDelayMs,
  });
  await options.log.ensureTopic(RATINGS_TOPIC, { partitions: RATINGS_PARTITIONS });
  return runPaced({
    producer: options.log.producer(),
    topic: RATINGS_TOPIC,
    next: (emitTime) => {
      const rating = source.next(emitTime);
      return { key: String(rating.userId), value: ratingCodec.encode(rating), timestamp: rating.timestamp };
    },
    rate: options.rate,
    count: options.count,
    durationMs: options.durationMs,
    backfill: options.backfill,
    signal: options.signal,
    onProgress: options.onProgress,
    onDiskProblem: options.onDiskProblem,
  });
}
