import { z } from 'zod';
import { jsonCodec } from '../events/codec.js';
import { eventTimeMs, MAX_EVENT_TIME_MS } from '../events/event-time.js';

/** The topic ratings arrive on. */
export const RATINGS_TOPIC = 'ratings';
/** Partitions of the ratings topic, keyed by user so one user's ratings stay in order. */
export const RATINGS_PARTITIONS = 4;

/** Ids are 32-bit, as in MovieLens and in the lake's INTEGER columns. */
export const MAX_ID = 2_147_483_647;

export const RatingSchema = z.object({
  userId: z.number().int().positive().max(MAX_ID),
  movieId: z.number().int().positive().max(MAX_ID),
  rating: z
    .number()
    .min(0.5)
    .max(5)
    .refine((r) => Number.isInteger(r * 2), { message: 'must be a multiple of 0.5' }),
  /** Event time, epoch milliseconds. */
  timestamp: eventTimeMs,
});

export type Rating = z.infer<typeof RatingSchema>;

/** The schema's rules written out by hand: the per-event fast path (a test keeps them in step). */
export function isRating(v: unknown): v is Rating {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const { userId, movieId, rating, timestamp } = r;
  return (
    Number.isSafeInteger(userId) && (userId as number) > 0 && (userId as number) <= MAX_ID &&
    Number.isSafeInteger(movieId) && (movieId as number) > 0 && (movieId as number) <= MAX_ID &&
    typeof rating === 'number' && rating >= 0.5 && rating <= 5 && Number.isInteger(rating * 2) &&
    Number.isSafeInteger(timestamp) && (timestamp as number) >= 0 && (timestamp as number) <= MAX_EVENT_TIME_MS &&
    Object.keys(r).length === 4
  );
}

const PARTS = ['{"userId":', ',"movieId":', ',"rating":', ',"timestamp":'] as const;

/**
 * Reads the exact text `JSON.stringify` gives a valid rating (`{"userId":1,"movieId":2,
 * "rating":3.5,"timestamp":1700000000000}`) without JSON.parse; anything else — other key order,
 * spaces, exponents, invalid values — returns null and takes the general path. One function with
 * no helpers and no temporary objects: it runs once per event.
 */
export function parseRatingFast(text: string): Rating | null {
  const len = text.length;
  let i = 0;
  let userId = 0;
  let movieId = 0;
  let rating = 0;
  let timestamp = 0;
  for (let f = 0; f < 4; f++) {
    const part = PARTS[f]!;
    // charCodeAt past the end is NaN, which matches nothing.
    for (let k = 0; k < part.length; k++) if (text.charCodeAt(i + k) !== part.charCodeAt(k)) return null;
    i += part.length;
    const start = i;
    let n = 0;
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
    }
    // A JSON integer of at most 15 digits (exact in a double), no leading zero.
    if (i === start || i - start > 15 || (text.charCodeAt(start) === 48 && i - start > 1)) return null;
    if (f === 0) userId = n;
    else if (f === 1) movieId = n;
    else if (f === 2) {
      if (text.charCodeAt(i) === 46 /* . */) {
        // Ratings are whole or half stars: one decimal digit, 5 (JSON.stringify writes 3.5, never 3.0).
        if (text.charCodeAt(i + 1) !== 53 /* 5 */) return null;
        n += 0.5;
        i += 2;
      }
      rating = n;
    } else timestamp = n;
  }
  if (i !== len - 1 || text.charCodeAt(i) !== 125 /* } */) return null;
  if (userId < 1 || movieId < 1 || userId > MAX_ID || movieId > MAX_ID || rating < 0.5 || rating > 5 || timestamp > MAX_EVENT_TIME_MS) return null;
  // `| 0` (exact: ids are 32-bit) keeps ids small integers rather than the doubles n is computed
  // in, so they are stored unboxed and hash fast as map keys downstream.
  return { userId: userId | 0, movieId: movieId | 0, rating, timestamp };
}

export const ratingCodec = jsonCodec('rating', RatingSchema, { fastCheck: isRating, fastParse: parseRatingFast });
