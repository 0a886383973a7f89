import { z } from 'zod';
import { jsonCodec } from '../../events/codec.js';

/** The topic ratings arrive on. */
export const RATINGS_TOPIC = 'ratings';
/** Partitions of the ratings topic, keyed by user so one user's ratings stay in order. */
export const RATINGS_PARTITIONS = 4;

export const RatingSchema = z.object({
  userId: z.number().int().positive(),
  movieId: z.number().int().positive(),
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
    Number.isSafeInteger(userId) && (userId as number) > 0 &&
    Number.isSafeInteger(movieId) && (movieId as number) > 0 &&
    typeof rating === 'number' && rating >= 0.5 && rating <= 5 && Number.isInteger(rating * 2) &&
    Number.isSafeInteger(timestamp) && (timestamp as number) >= 0 &&
    Object.keys(r).length === 4
  );
}

export const ratingCodec = jsonCodec('rating', RatingSchema, { fastCheck: isRating });
