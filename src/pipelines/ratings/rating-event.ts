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

export const ratingCodec = jsonCodec('rating', RatingSchema);
