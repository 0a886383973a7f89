import type { Aggregate } from '../../engine/aggregate.js';
import { avg, count, exactQuantiles, groupByFlags, groupByIndex, LabelIndex, record, topN } from '../../engine/aggregates/index.js';
import type { PipelineSpec, ResultContext } from '../../engine/pipeline.js';
import { sliding, tumbling } from '../../engine/windows.js';
import { idLookup } from '../../util/id-index.js';
import { resultEnvelope } from '../result-envelope.js';
import type { Catalogue } from '../../movies/catalogue.js';
import { RATING_VALUES, UNKNOWN_GENRE, type Movie } from '../../movies/movie.js';
import { RATINGS_TOPIC, ratingCodec, type Rating } from '../../movies/rating-event.js';
import type { MetricsRecord } from './ratings-metrics.js';
import { METRICS_TOPIC } from './ratings-topics.js';

export { METRICS_TOPIC };
const MIN = 60_000;
/** Movies listed in each result's top_movies, best score first. */
export const TOP_MOVIES = 20;

/**
 * What each window computes. Genres are numbered once, alphabetically (the order every result
 * lists them in), and each movie's genres looked up per rating as a bit mask: no per-event object,
 * no genre string hashed, one load per rating.
 */
function windowAggregate(catalogue: Catalogue) {
  const rating = (r: Rating) => r.rating;
  return record({
    count: count(),
    avg: avg(rating),
    quantiles: exactQuantiles(rating, { values: RATING_VALUES, quantiles: [0.5, 0.95, 0.99] }),
    // 20: the dashboard's table shows 20; its bar chart the first 10.
    top: topN((r: Rating) => r.movieId, rating, { n: TOP_MOVIES, by: 'score' }),
    genres: genreGroups(catalogue, record({ count: count(), avg: avg(rating) })),
  });
}

/**
 * Groups by the rating's movie's genres; a movie the catalogue lacks counts under "(unknown)".
 * MovieLens has 20 genres, so a movie's genres fit a 32-bit mask; a catalogue with more than 32
 * falls back to lists of genre ids.
 */
function genreGroups<S, O>(catalogue: Catalogue, inner: Aggregate<Rating, S, O>) {
  const genres = new LabelIndex([...new Set([UNKNOWN_GENRE, ...catalogue.all().flatMap((m) => m.genres)])].sort());
  const unknown = genres.idOf(UNKNOWN_GENRE);
  if (genres.labels.length <= 32) {
    const flagsOf = movieLookup(catalogue, (m) => m.genres.reduce((flags, g) => flags | (1 << genres.idOf(g)), 0), 1 << unknown);
    return groupByFlags(genres, (r: Rating) => flagsOf(r.movieId), inner);
  }
  const idsOf = movieLookup(catalogue, (m) => m.genres.map((g) => genres.idOf(g)), [unknown]);
  return groupByIndex(genres, (r: Rating) => idsOf(r.movieId), inner);
}

/** movieId → valueOf(movie), or `missing` for a movie the catalogue lacks. */
function movieLookup<T>(catalogue: Catalogue, valueOf: (movie: Movie) => T, missing: T): (movieId: number) => T {
  return idLookup(catalogue.all().map((m) => [m.movieId, valueOf(m)] as const), missing);
}

export type RatingsWindowResult = ReturnType<ReturnType<typeof windowAggregate>['result']>;

export interface RatingsPipelineOptions {
  catalogue: Catalogue;
  outOfOrdernessMs?: number;
  idleTimeoutMs?: number;
}

/**
 * The ratings pipeline: tumbling 1-minute and sliding 5-minute (every minute) windows of rating
 * count, average, p50/p95/p99, top-20 movies by score (count × average, ties by movie id) and
 * per-genre count and average, written to the `metrics` topic.
 */
export function ratingsPipeline(options: RatingsPipelineOptions): PipelineSpec<Rating, Rating, unknown, RatingsWindowResult> {
  const { catalogue } = options;
  return {
    name: 'ratings',
    source: { topic: RATINGS_TOPIC, codec: ratingCodec },
    eventTime: (e) => e.timestamp,
    // The catalogue join happens where it is used: genre ids in the aggregate, titles in format.
    enrich: (e) => e,
    windows: [tumbling('tumbling_1min', MIN), sliding('sliding_5min', 5 * MIN, MIN)],
    aggregate: windowAggregate(catalogue),
    outOfOrdernessMs: options.outOfOrdernessMs ?? 10 * MIN,
    idleTimeoutMs: options.idleTimeoutMs ?? 10_000,
    emitIntervalMs: 1000,
    stateVersion: 1,
    output: {
      topic: METRICS_TOPIC,
      format: (r, ctx) => formatRatingsMetrics(r, ctx, catalogue),
    },
  };
}

/** One `metrics` record: `metricsRecordSchema`'s shape, which the API, the dashboard and the lake read. */
export function formatRatingsMetrics(r: RatingsWindowResult, ctx: ResultContext, catalogue: Catalogue): MetricsRecord {
  return {
    ...resultEnvelope(ctx, r.count),
    avg_rating: r.avg,
    p50_rating: r.quantiles.p50 ?? null,
    p95_rating: r.quantiles.p95 ?? null,
    p99_rating: r.quantiles.p99 ?? null,
    top_movies: r.top.map((t) => {
      const movie = catalogue.get(t.key);
      return {
        movieId: t.key,
        title: movie?.title ?? `movie ${t.key}`,
        genres: movie?.genres ?? [UNKNOWN_GENRE],
        count: t.count,
        avg_rating: t.avg,
        score: t.score,
      };
    }),
    genres: mapValues(r.genres, (v) => ({ count: v.count, avg_rating: v.avg })),
  };
}

/** { k: f(v) } for each own key of o, in o's key order ("__proto__" stays an own key). */
function mapValues<V, W>(o: Record<string, V>, f: (v: V) => W): Record<string, W> {
  const out: Record<string, W> = {};
  for (const k of Object.keys(o)) {
    const value = f(o[k]!);
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out;
}
