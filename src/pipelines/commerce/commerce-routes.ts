import type { FastifyPluginAsync } from 'fastify';
import { StreamrecError } from '../../util/errors.js';
import type { EventStream, PipelineRoutes, PipelineRoutesContext } from '../pipeline-declaration.js';
import type { PipelineHealth } from '../pipeline-result.js';
import { responseCache } from '../response-cache.js';
import type { CommerceCategories, CommerceHistory, CommerceOrders, CommerceServicesHealth, CommerceSummary } from './commerce-contract.js';
import type { CommerceResult } from './commerce-pipeline.js';
import { CommerceView, MAX_ORDERS } from './commerce-view.js';
import { checkRedis } from './redis-metrics.js';
import { checkPostgres } from './warehouse.js';
import { throttledPublisher } from '../throttled-publisher.js';
import { serveStream } from '../stream-route.js';

/** `/commerce/stream` sends a `summary` event at most this often. */
export const STREAM_EVERY_MS = 200;
/** Health checks of PostgreSQL and Redis are reused this long. */
const SERVICE_CHECK_MS = 5000;

export interface CommerceEndpoints {
  postgres: string | undefined;
  redis: string | undefined;
}

const limitQuery = (max: number, fallback: number) => ({
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: max, default: fallback } },
  additionalProperties: false,
} as const);

const orderSchema = {
  type: 'object',
  properties: {
    transaction_id: { type: 'integer' },
    customer_id: { type: 'integer' },
    total: { type: 'number' },
    items_count: { type: 'integer' },
    timestamp: { type: 'string', format: 'date-time' },
  },
} as const;

/**
 * The commerce routes: `/commerce/summary`, `history`, `categories`, `orders`, `stream` (SSE) and
 * `health`. `endpoints()` says where PostgreSQL and Redis are (read at each health check, so
 * flags the CLI gives the services count too).
 */
export function commerceRoutes(endpoints: () => CommerceEndpoints) {
  return (ctx: PipelineRoutesContext<CommerceResult>): PipelineRoutes => {
    const view = new CommerceView({ results: ctx.results, log: ctx.log });
    const stream = ctx.newStream();
    return {
      plugin: async (app) => {
        await app.register(commercePlugin, { view, stream, health: () => ctx.results.health(), endpoints });
      },
      view,
      stream,
    };
  };
}

interface CommercePluginOptions {
  view: CommerceView;
  stream: EventStream;
  health: () => PipelineHealth;
  endpoints: () => CommerceEndpoints;
}

const commercePlugin: FastifyPluginAsync<CommercePluginOptions> = async (app, { view, stream, health, endpoints }) => {
  const cached = responseCache(view);
  const publisher = throttledPublisher(stream, 'summary', () => view.streamSummary(), STREAM_EVERY_MS);
  view.onChange(publisher.changed);
  view.start();
  app.addHook('onClose', async () => {
    publisher.stop();
    await view.stop();
  });
  const json = 'application/json; charset=utf-8';

  app.get('/commerce/summary', {
    schema: {
      summary: 'The latest 30-second window (open or final) with its figures, and the revenue and transactions of the windows the server holds; 404 before the first result',
      tags: ['commerce'],
    },
  }, async (_req, reply) => {
    const body = cached('summary', (): CommerceSummary | null => view.summary());
    if (body === null) throw new StreamrecError('no commerce results yet: is the commerce pipeline running (streamrec up, or streamrec process commerce)?', { code: 'no-results', status: 404 });
    return reply.type(json).send(body);
  });

  app.get<{ Querystring: { limit: number } }>('/commerce/history', {
    schema: { summary: 'The newest result of each recent 30-second window, oldest first (newest last)', tags: ['commerce'], querystring: limitQuery(1000, 60) },
  }, async (req, reply) => reply.type(json).send(cached(`history:${req.query.limit}`, (): CommerceHistory => ({ items: view.history(req.query.limit) }))));

  app.get('/commerce/categories', {
    schema: { summary: 'The latest window\'s categories: units sold and revenue, by revenue', tags: ['commerce'] },
  }, async (_req, reply) => reply.type(json).send(cached('categories', (): CommerceCategories => view.categories())));

  app.get<{ Querystring: { limit: number } }>('/commerce/orders', {
    schema: {
      summary: 'The newest transactions first (the tail of the transactions topic)',
      tags: ['commerce'],
      querystring: limitQuery(MAX_ORDERS, 20),
      response: { 200: { type: 'object', properties: { orders: { type: 'array', items: orderSchema } } } },
    },
  }, async (req): Promise<CommerceOrders> => ({ orders: view.orders(req.query.limit) }));

  app.get('/commerce/stream', {
    schema: {
      summary: `Server-Sent Events: \`snapshot\` (summary, the last 20 windows, the 10 newest orders) at once, then \`summary\` (the summary with the 10 newest orders) on each change, at most every ${STREAM_EVERY_MS} ms; ids on every event, resume with Last-Event-ID`,
      tags: ['commerce'],
    },
  }, (req, reply) => serveStream(req, reply, stream, () => [{ event: 'snapshot', data: view.snapshot() }]));

  const checks = serviceChecks(endpoints);
  app.get('/commerce/health', {
    schema: {
      summary: 'The pipeline\'s health, and whether PostgreSQL (the warehouse) and Redis (the seed\'s metrics keys) are configured and reachable: "not configured", "ok" or the error',
      tags: ['commerce'],
    },
  }, async (): Promise<PipelineHealth & CommerceServicesHealth> => ({ ...health(), ...(await checks()) }));
};

/** The services' health, checked at most every SERVICE_CHECK_MS. */
function serviceChecks(endpoints: () => CommerceEndpoints) {
  let last: { at: number; key: string; value: Promise<CommerceServicesHealth> } | null = null;
  return (): Promise<CommerceServicesHealth> => {
    const { postgres, redis } = endpoints();
    const key = `${postgres ?? ''} ${redis ?? ''}`;
    const now = Date.now();
    if (last && last.key === key && now - last.at < SERVICE_CHECK_MS) return last.value;
    const value = Promise.all([
      postgres ? checkPostgres(postgres) : 'not configured',
      redis ? checkRedis(redis) : 'not configured',
    ]).then(([pg, rd]): CommerceServicesHealth => ({ postgres: pg, redis: rd, warehouse: postgres ? 'postgres' : 'lake' }));
    last = { at: now, key, value };
    return value;
  };
}
