/**
 * The ratings pipeline's output record (`metrics` topic), declared once: the formatter writes it,
 * the lake's ratings/agg decode, the API's responses and the dashboard's types derive from it.
 * Only zod here, so web/ can type-check against it.
 */
import { z } from 'zod';
import { resultEnvelopeSchema } from '../pipeline-result.js';

export const topMovieSchema = z.object({
  movieId: z.number().int(),
  title: z.string(),
  genres: z.array(z.string()).optional(),
  count: z.number(),
  avg_rating: z.number(),
  score: z.number(),
});

const rating = z.number().nullable();

/** One `metrics` record: a window result of the ratings pipeline (keys in the order written). */
export const metricsRecordSchema = z.object({
  window_start: resultEnvelopeSchema.shape.window_start,
  window_end: resultEnvelopeSchema.shape.window_end,
  window_type: resultEnvelopeSchema.shape.window_type,
  count: resultEnvelopeSchema.shape.count,
  avg_rating: rating,
  p50_rating: rating,
  p95_rating: rating,
  p99_rating: rating,
  top_movies: z.array(topMovieSchema),
  genres: z.record(z.string(), z.object({ count: z.number().int().nonnegative(), avg_rating: rating })),
  late_events: resultEnvelopeSchema.shape.late_events,
  final: resultEnvelopeSchema.shape.final,
  processing_time: resultEnvelopeSchema.shape.processing_time,
  watermark: resultEnvelopeSchema.shape.watermark,
  max_event_time: resultEnvelopeSchema.shape.max_event_time,
});

export type MetricsRecord = z.infer<typeof metricsRecordSchema>;
export type TopMovie = z.infer<typeof topMovieSchema>;

/**
 * What ratings/agg accepts: final results, lenient where older or foreign writers may differ
 * (missing quantiles or lists, a null processing time), the envelope checks kept.
 */
export const finalMetricsSchema = metricsRecordSchema
  .extend({
    top_movies: z.unknown(),
    genres: z.unknown(),
    processing_time: z.string().nullable(),
    final: z.literal(true),
  })
  .partial({ avg_rating: true, p50_rating: true, p95_rating: true, p99_rating: true, top_movies: true, genres: true, late_events: true, processing_time: true });
