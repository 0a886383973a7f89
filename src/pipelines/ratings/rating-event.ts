import { z } from 'zod';
import { jsonCodec } from '../../events/codec.js';

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
  timestamp: z.number().int().nonnegative(),
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
    Number.isSafeInteger(timestamp) && (timestamp as number) >= 0 &&
    Object.keys(r).length === 4
  );
}

const PARTS = ['{"userId":', ',"movieId":', ',"rating":', ',"timestamp":'] as const;

/**
 * Reads the exact text `JSON.stringify` gives a valid rating (`{"userId":1,"movieId":2,
 * "rating":3.5,"timestamp":1700000000000}`) without JSON.parse; anything else — other key order,
 * spaces, exponents, invalid values — returns null and takes the general path.
 */
export function parseRatingFast(text: string): Rating | null {
  let i = 0;
  const values = [0, 0, 0, 0];
  for (let f = 0; f < 4; f++) {
    const part = PARTS[f]!;
    if (!text.startsWith(part, i)) return null;
    i += part.length;
    const start = i;
    let n = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
    }
    if (i === start || (text.charCodeAt(start) === 48 && i - start > 1) || i - start > 15) return null;
    if (f === 2 && text.charCodeAt(i) === 46 /* . */) {
      // Ratings are whole or half stars: one decimal digit, 0 or 5 (JSON.stringify writes 3.5, never 3.0).
      if (text.charCodeAt(i + 1) !== 53 || i + 2 >= text.length) return null;
      n += 0.5;
      i += 2;
    }
    values[f] = n;
  }
  if (i !== text.length - 1 || text.charCodeAt(i) !== 125 /* } */) return null;
  const [userId, movieId, rating, timestamp] = values as [number, number, number, number];
  if (userId < 1 || movieId < 1 || userId > MAX_ID || movieId > MAX_ID || rating < 0.5 || rating > 5) return null;
  return { userId, movieId, rating, timestamp };
}

export const ratingCodec = jsonCodec('rating', RatingSchema, { fastCheck: isRating, fastParse: parseRatingFast });
