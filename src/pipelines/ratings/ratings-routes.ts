import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { EventStream, PipelineRoutes, PipelineRoutesContext } from '../pipeline-declaration.js';
import { responseCache } from '../response-cache.js';
import type { GenresResponse, HistoryResponse, MetricsRecord, TopnResponse } from './ratings-contract.js';
import { MetricsView } from './ratings-metrics-view.js';

export interface MetricsRoutesOptions {
  view: MetricsView;
  hub: EventStream;
}

const windowType = { type: 'string', enum: ['tumbling_1min', 'sliding_5min'] } as const;
const NO_DATA = 'no metrics yet: start the pipeline with `streamrec up`, or `streamrec process` beside a generator';

/**
 * The ratings pipeline's contribution to the server: the seed's `/metrics/*` over the generic
 * results view, with its own SSE stream (events `metrics` and `health` in the seed's shapes).
 */
export function ratingsRoutes(ctx: PipelineRoutesContext<MetricsRecord>): PipelineRoutes {
  const view = new MetricsView(ctx.results);
  const hub = ctx.newStream();
  ctx.results.onResult((record) => hub.publish('metrics', record));
  ctx.results.onHealth(() => hub.publish('health', view.currentHealth()));
  return {
    plugin: async (app) => {
      await app.register(metricsRoutes, { view, hub });
    },
    view,
    stream: hub,
  };
}

/** The ratings pipeline's live metrics: the routes of the seed API, plus SSE. */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { view, hub }) => {
  const cached = responseCache(view);
  const json = (body: string | null, reply: FastifyReply) =>
    body === null
      ? reply.code(404).send({ statusCode: 404, error: 'Not Found', message: NO_DATA })
      : reply.type('application/json; charset=utf-8').send(body);

  app.get('/metrics/health', {
    schema: { summary: 'Pipeline health: last event time, consumer lag, watermark delay, events/s', tags: ['metrics'] },
  }, async () => view.currentHealth());

  app.get('/metrics/summary', {
    schema: { summary: 'The latest tumbling (1 min) and sliding (5 min) window results', tags: ['metrics'] },
  }, async (_req, reply) => json(cached('summary', () => view.summary()), reply));

  app.get<{ Querystring: { limit: number; window_type: string } }>('/metrics/topn', {
    schema: {
      summary: 'Top movies by score (count × average rating) in the latest window',
      tags: ['metrics'],
      querystring: {
        type: 'object',
        properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 }, window_type: { ...windowType, default: 'sliding_5min' } },
        additionalProperties: false,
      },
    },
  }, async (req, reply) => json(cached(`topn:${req.query.window_type}:${req.query.limit}`, () => {
    const record = view.latestOf(req.query.window_type) ?? view.latestOf('tumbling_1min');
    if (!record) return null;
    const body: TopnResponse = {
      window_type: record.window_type,
      window_start: record.window_start,
      window_end: record.window_end,
      final: record.final,
      movies: record.top_movies.slice(0, req.query.limit).map((m, i) => ({ ...m, rank: i + 1 })),
    };
    return body;
  }), reply));

  app.get<{ Querystring: { window_type: string } }>('/metrics/genres', {
    schema: {
      summary: 'Ratings count, share and average by genre in the latest window',
      tags: ['metrics'],
      querystring: { type: 'object', properties: { window_type: { ...windowType, default: 'sliding_5min' } }, additionalProperties: false },
    },
  }, async (req, reply) => json(cached(`genres:${req.query.window_type}`, () => {
    const record = view.latestOf(req.query.window_type) ?? view.latestOf('tumbling_1min');
    if (!record) return null;
    const total = Object.values(record.genres).reduce((s, g) => s + g.count, 0);
    const body: GenresResponse = {
      window_type: record.window_type,
      window_start: record.window_start,
      window_end: record.window_end,
      genres: Object.entries(record.genres)
        .map(([genre, g]) => ({ genre, count: g.count, avg_rating: g.avg_rating, share: total ? g.count / total : 0 }))
        .sort((a, b) => b.count - a.count || a.genre.localeCompare(b.genre)),
    };
    return body;
  }), reply));

  app.get<{ Querystring: { limit: number; window_type: string } }>('/metrics/history', {
    schema: {
      summary: 'Final window results, oldest first',
      tags: ['metrics'],
      querystring: {
        type: 'object',
        properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 }, window_type: { ...windowType, default: 'tumbling_1min' } },
        additionalProperties: false,
      },
    },
  }, async (req, reply) => json(cached(`history:${req.query.window_type}:${req.query.limit}`, (): HistoryResponse => ({
    window_type: req.query.window_type,
    items: view.historyOf(req.query.window_type, req.query.limit),
  })), reply));

  app.get('/metrics/stream', {
    schema: {
      summary: 'Server-Sent Events: `snapshot` at once, then `metrics` (each new result) and `health` (every second); ids resume with Last-Event-ID',
      tags: ['metrics'],
    },
  }, (req, reply) => {
    reply.hijack();
    hub.attach(req.raw, reply.raw, () => [{ event: 'snapshot', data: view.snapshot() }]);
  });
};
