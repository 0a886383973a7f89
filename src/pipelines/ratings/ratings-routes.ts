import { StreamrecError } from '../../util/errors.js';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { EventStream, PipelineRoutes, PipelineRoutesContext } from '../pipeline-declaration.js';
import { responseCache } from '../response-cache.js';
import { serveStream } from '../stream-route.js';
import type { MetricsRecord, SeedStreamMessage } from './ratings-contract.js';
import { genresOf, MetricsView, topnOf, TUMBLING } from './ratings-metrics-view.js';

export interface MetricsRoutesOptions {
  view: MetricsView;
  /** `GET /metrics/stream`: the seed's unnamed `data: {"type": …, "data": …}` frames. */
  seed: EventStream;
  /** `GET /metrics/stream?format=events`: named `snapshot`, `metrics`, `health` events (the dashboard's). */
  hub: EventStream;
}

const windowType = { type: 'string', enum: ['tumbling_1min', 'sliding_5min'] } as const;
const NO_DATA = 'no metrics yet: start the pipeline with `streamrec up`, or `streamrec process` beside a generator';
/** How many movies the seed stream's `topn` messages carry (GET /metrics/topn's default). */
const STREAM_TOPN = 10;

/**
 * The ratings pipeline's contribution to the server: the seed's `/metrics/*` over the generic
 * results view, with two SSE streams on `/metrics/stream`: the seed's unnamed messages (default)
 * and, with `?format=events`, named events carrying whole records (what the dashboard reads).
 */
export function ratingsRoutes(ctx: PipelineRoutesContext<MetricsRecord>): PipelineRoutes {
  const view = new MetricsView(ctx.results);
  const seed = ctx.newStream({
    heartbeatMessage: (): SeedStreamMessage => ({ type: 'heartbeat', data: { timestamp: new Date().toISOString() } }),
  });
  const hub = ctx.newStream();
  const send = (message: SeedStreamMessage) => seed.publish(null, message);
  ctx.results.onResult((record) => {
    hub.publish('metrics', record);
    // The seed's messages follow the current windows only (late finals of older ones would step back).
    if (record.window_type === TUMBLING && record === view.latestOf(TUMBLING)) {
      const summary = view.streamSummary();
      if (summary) send({ type: 'summary', data: summary });
    }
    if (record === view.rankingRecord()) {
      send({ type: 'topn', data: topnOf(record, STREAM_TOPN) });
      send({ type: 'genres', data: genresOf(record) });
    }
  });
  ctx.results.onHealth(() => hub.publish('health', view.currentHealth()));
  return {
    plugin: async (app) => {
      await app.register(metricsRoutes, { view, seed, hub });
    },
    view,
    stream: hub,
  };
}

/** The seed stream's state on connect: the current summary, top-N and genres (those there are). */
function seedSnapshot(view: MetricsView): { event: null; data: SeedStreamMessage }[] {
  const out: { event: null; data: SeedStreamMessage }[] = [];
  const summary = view.streamSummary();
  if (summary) out.push({ event: null, data: { type: 'summary', data: summary } });
  const ranking = view.rankingRecord();
  if (ranking) {
    out.push({ event: null, data: { type: 'topn', data: topnOf(ranking, STREAM_TOPN) } });
    out.push({ event: null, data: { type: 'genres', data: genresOf(ranking) } });
  }
  return out;
}

/** The ratings pipeline's live metrics: the routes of the seed API, plus SSE. */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { view, seed, hub }) => {
  const cached = responseCache(view);
  const json = (body: string | null, reply: FastifyReply) =>
    body === null
      ? Promise.reject(new StreamrecError(NO_DATA, { code: 'no-metrics', status: 404 }))
      : reply.type('application/json; charset=utf-8').send(body);


  app.get('/metrics/health', {
    schema: {
      summary: 'Pipeline health: status (healthy, idle, no_data), last event time, consumer lag, watermark delay, events/s',
      tags: ['metrics'],
    },
  }, async () => view.healthNow());

  app.get('/metrics/summary', {
    schema: {
      summary: 'The seed\'s flat summary of the latest tumbling (1 min) window result (window_start, window_end, window_type, '
        + 'total_ratings = that window\'s count, avg/p50/p95_rating, timestamp), with the latest tumbling and sliding (5 min) '
        + 'results nested beside and ratings_total_since_start',
      tags: ['metrics'],
    },
  }, async (_req, reply) => json(cached('summary', () => view.summary()), reply));

  app.get<{ Querystring: { limit: number; window_type: string } }>('/metrics/topn', {
    schema: {
      summary: 'Top movies by score (count × average rating) in the latest window; count = movies returned, rating_count = a movie\'s ratings',
      tags: ['metrics'],
      querystring: {
        type: 'object',
        properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 }, window_type: { ...windowType, default: 'sliding_5min' } },
        additionalProperties: false,
      },
    },
  }, async (req, reply) => json(cached(`topn:${req.query.window_type}:${req.query.limit}`, () => {
    const record = view.rankingRecord(req.query.window_type);
    return record ? topnOf(record, req.query.limit) : null;
  }), reply));

  app.get<{ Querystring: { window_type: string } }>('/metrics/genres', {
    schema: {
      summary: 'Ratings count, share, percentage and average by genre in the latest window: `genres` keyed by genre name, `genre_list` the same rows as a list',
      tags: ['metrics'],
      querystring: { type: 'object', properties: { window_type: { ...windowType, default: 'sliding_5min' } }, additionalProperties: false },
    },
  }, async (req, reply) => json(cached(`genres:${req.query.window_type}`, () => {
    const record = view.rankingRecord(req.query.window_type);
    return record ? genresOf(record) : null;
  }), reply));

  app.get<{ Querystring: { limit: number; window_type: string } }>('/metrics/history', {
    schema: {
      summary: '`history`: the latest result of each recent window, flat, newest last (tumbling: open windows too, `final: false`); '
        + '`count` its length; `items`: the final results, oldest first',
      tags: ['metrics'],
      querystring: {
        type: 'object',
        properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 }, window_type: { ...windowType, default: 'tumbling_1min' } },
        additionalProperties: false,
      },
    },
  }, async (req, reply) => json(cached(`history:${req.query.window_type}:${req.query.limit}`, () => view.history(req.query.window_type, req.query.limit)), reply));

  app.get<{ Querystring: { format: 'seed' | 'events' } }>('/metrics/stream', {
    schema: {
      summary: 'Server-Sent Events. Default: the seed\'s unnamed messages `data: {"type": "summary"|"topn"|"genres"|"heartbeat", "data": …}` '
        + '(EventSource onmessage): the current state at once, then each new result, a heartbeat message every 30 s. '
        + '`?format=events`: named events `snapshot` at once, then `metrics` (each new result) and `health` (every second). '
        + 'Both: an id on every event, resume with Last-Event-ID',
      tags: ['metrics'],
      querystring: {
        type: 'object',
        properties: { format: { type: 'string', enum: ['seed', 'events'], default: 'seed' } },
        additionalProperties: false,
      },
    },
  }, (req, reply) =>
    req.query.format === 'events'
      ? serveStream(req, reply, hub, () => [{ event: 'snapshot', data: view.snapshot() }])
      : serveStream(req, reply, seed, () => seedSnapshot(view)));
};
