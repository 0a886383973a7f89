import { avg, count, exactQuantiles, groupBy, record, topN } from '../../engine/aggregates/index.js';
import type { PipelineSpec, ResultContext } from '../../engine/pipeline.js';
import { sliding, tumbling } from '../../engine/windows.js';
import type { Catalogue } from './catalogue.js';
import { RATINGS_TOPIC, ratingCodec, type Rating } from './rating-event.js';

export const METRICS_TOPIC = 'metrics';
export const UNKNOWN_GENRE = '(unknown)';
export const RATING_VALUES = [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5] as const;
const MIN = 60_000;
/** Movies listed in each result's top_movies, best score first. */
export const TOP_MOVIES = 20;

/** A rating joined with its movie's genres (titles are looked up only for the top movies). */
export interface EnrichedRating {
  movieId: number;
  rating: number;
  genres: readonly string[];
}

const windowAggregate = record({
  count: count(),
  avg: avg((r: EnrichedRating) => r.rating),
  quantiles: exactQuantiles((r: EnrichedRating) => r.rating, { values: RATING_VALUES, quantiles: [0.5, 0.95, 0.99] }),
  // 20: the dashboard's table shows 20; its bar chart the first 10.
  top: topN((r: EnrichedRating) => r.movieId, (r: EnrichedRating) => r.rating, { n: TOP_MOVIES, by: 'score' }),
  genres: groupBy((r: EnrichedRating) => r.genres, record({ count: count(), avg: avg((r: EnrichedRating) => r.rating) })),
});

export type RatingsWindowResult = ReturnType<typeof windowAggregate.result>;

export interface RatingsPipelineOptions {
  catalogue: Catalogue;
  allowedLatenessMs?: number;
  idleTimeoutMs?: number;
}

/**
 * The ratings pipeline: tumbling 1-minute and sliding 5-minute (every minute) windows of rating
 * count, average, p50/p95/p99, top-20 movies by score (count × average, ties by movie id) and
 * per-genre count and average, written to the `metrics` topic.
 */
export function ratingsPipeline(options: RatingsPipelineOptions): PipelineSpec<Rating, EnrichedRating, unknown, RatingsWindowResult> {
  const { catalogue } = options;
  const unknown = [UNKNOWN_GENRE] as const;
  const genresOf = new Map<number, readonly string[]>(catalogue.all().map((m) => [m.movieId, m.genres]));
  return {
    name: 'ratings',
    source: { topic: RATINGS_TOPIC, codec: ratingCodec },
    eventTime: (e) => e.timestamp,
    // A rating for a movie the catalogue lacks is kept, under the genre "(unknown)".
    enrich: (e) => ({ movieId: e.movieId, rating: e.rating, genres: genresOf.get(e.movieId) ?? unknown }),
    windows: [tumbling('tumbling_1min', MIN), sliding('sliding_5min', 5 * MIN, MIN)],
    aggregate: windowAggregate,
    allowedLatenessMs: options.allowedLatenessMs ?? 10 * MIN,
    idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    emitIntervalMs: 1000,
    stateVersion: 1,
    output: {
      topic: METRICS_TOPIC,
      format: (r, ctx) => formatRatingsMetrics(r, ctx, catalogue),
    },
  };
}

/** One `metrics` record: the shape the API, the dashboard and the lake read. */
export function formatRatingsMetrics(r: RatingsWindowResult, ctx: ResultContext, catalogue: Catalogue): Record<string, unknown> {
  return {
    window_start: new Date(ctx.window.start).toISOString(),
    window_end: new Date(ctx.window.end).toISOString(),
    window_type: ctx.window.spec.name,
    count: r.count,
    avg_rating: r.avg,
    p50_rating: r.quantiles.p50 ?? null,
    p95_rating: r.quantiles.p95 ?? null,
    p99_rating: r.quantiles.p99 ?? null,
    top_movies: r.top.map((t) => ({
      movieId: t.key,
      title: catalogue.get(t.key)?.title ?? `movie ${t.key}`,
      genres: catalogue.get(t.key)?.genres ?? [UNKNOWN_GENRE],
      count: t.count,
      avg_rating: t.avg,
      score: t.score,
    })),
    genres: Object.fromEntries(Object.entries(r.genres).map(([g, v]) => [g, { count: v.count, avg_rating: v.avg }])),
    late_events: ctx.lateEvents,
    final: ctx.final,
    processing_time: new Date(ctx.emittedAt).toISOString(),
    watermark: ctx.watermark === null ? null : new Date(ctx.watermark).toISOString(),
    max_event_time: ctx.maxEventTime === null ? null : new Date(ctx.maxEventTime).toISOString(),
  };
}
