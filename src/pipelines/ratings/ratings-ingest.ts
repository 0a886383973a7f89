import { RATINGS_PARTITIONS, ratingCodec, type Rating } from '../../movies/rating-event.js';
import { BadEventsError } from '../ingest.js';
import type { PipelineIngest } from '../pipeline-declaration.js';
import { loadConfig } from '../../util/config.js';

export const MAX_RATINGS_PER_REQUEST = 1000;
export const MAX_RATINGS_BODY_BYTES = 256 * 1024;

const FIELDS = ['userId', 'movieId', 'rating', 'timestamp'];

/**
 * A posted rating → the event to append: `{"userId", "movieId", "rating"}` and an optional
 * `timestamp` (event time, epoch ms; the server's clock when absent). The codec then checks the
 * values (ids, half stars from 0.5 to 5); a 400 names what is wrong.
 */
export function stampRating(item: unknown, now: number): Rating {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new BadEventsError(`a rating is an object like {"userId": 1, "movieId": 318, "rating": 4.5}, got ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}`);
  }
  const fields = item as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) {
    // Cut: the message echoes input.
    const shown = JSON.stringify(unknown[0]);
    throw new BadEventsError(`unknown field ${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''}: a rating has userId, movieId, rating and optionally timestamp`);
  }
  for (const k of ['userId', 'movieId', 'rating']) if (fields[k] === undefined) throw new BadEventsError(`a rating needs "${k}"`);
  return { userId: fields.userId, movieId: fields.movieId, rating: fields.rating, timestamp: fields.timestamp ?? now } as Rating;
}

/**
 * Ratings over HTTP (`POST /events/ratings`, e.g. the Recommendations page), keyed by user like the
 * generator's; per client at most STREAMREC_RATINGS_RATE_LIMIT a second (a token bucket holding one
 * second's worth, as for clicks; a 429 with Retry-After past it). The setting is 0 or at least
 * `MAX_RATINGS_PER_REQUEST`, so a full request can pass.
 */
export const ratingsIngest: PipelineIngest<Rating> = {
  codec: ratingCodec,
  stamp: stampRating,
  key: (r) => String(r.userId),
  maxBatch: MAX_RATINGS_PER_REQUEST,
  maxBodyBytes: MAX_RATINGS_BODY_BYTES,
  rateLimit: () => loadConfig().ratingsRateLimit,
  partitions: RATINGS_PARTITIONS,
};
