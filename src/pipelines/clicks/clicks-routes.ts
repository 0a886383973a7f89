import type { FastifyPluginAsync } from 'fastify';
import { ingesterFor, type Ingester } from '../ingest.js';
import type { EventStream, PipelineIngest, PipelineRoutes, PipelineRoutesContext } from '../pipeline-declaration.js';
import { responseCache } from '../response-cache.js';
import { CLICKS_TOPIC, MAX_CLICKS_BODY_BYTES, MAX_CLICKS_PER_REQUEST } from './click-event.js';
import { CLICK_TYPES, type ClickAccepted } from './clicks-contract.js';
import type { ClicksResult } from './clicks-pipeline.js';
import { ClicksView } from './clicks-view.js';
import { throttledPublisher } from '../throttled-publisher.js';
import { serveStream } from '../stream-route.js';

/** `/clicks/stream` sends a `data` event at most this often. */
export const STREAM_EVERY_MS = 200;

const clickSchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: [...CLICK_TYPES] } },
  required: ['type'],
} as const;
const acceptedSchema = {
  type: 'object',
  properties: {
    accepted: { type: 'integer' },
    offsets: { type: 'array', items: { type: 'object', properties: { partition: { type: 'integer' }, offset: { type: 'integer' } } } },
  },
} as const;
/** The body is checked by the ingester (its messages name what is wrong); the schema documents it. */
const acceptAnyBody = () => () => true;

/**
 * The clicks pipeline's routes: ingestion (`POST /clicks`, the seed's `POST /kafka/click`), the
 * aggregate (`GET /clicks/data`, `GET /clicks/stream`), the seed's `GET /kafka/data`, and
 * `GET /clicker` (the page).
 */
export function clicksRoutes(ingest: PipelineIngest) {
  return (ctx: PipelineRoutesContext<ClicksResult>): PipelineRoutes => {
    const view = new ClicksView({ log: ctx.log });
    const stream = ctx.newStream();
    const ingester = ingesterFor(ctx.log, { name: 'clicks', sourceTopic: CLICKS_TOPIC, ingest })!;
    return {
      plugin: async (app) => {
        await app.register(clicksPlugin, { view, stream, ingester });
      },
      view,
      stream,
    };
  };
}

interface ClicksPluginOptions {
  view: ClicksView;
  stream: EventStream;
  ingester: Ingester;
}

const clicksPlugin: FastifyPluginAsync<ClicksPluginOptions> = async (app, { view, stream, ingester }) => {
  const cached = responseCache(view);
  const publisher = throttledPublisher(stream, 'data', () => view.data(), STREAM_EVERY_MS);
  view.onChange(publisher.changed);
  view.start();
  app.addHook('onClose', async () => {
    publisher.stop();
    await view.stop();
  });

  const post = {
    bodyLimit: MAX_CLICKS_BODY_BYTES,
    validatorCompiler: acceptAnyBody,
  };
  app.post('/clicks', {
    ...post,
    schema: {
      summary: `Post clicks: {"type": "cheers"|"hate"} or an array of up to ${MAX_CLICKS_PER_REQUEST}; 202 once every click is durable in the log `
        + '(the server stamps each with its time). 400 names what is wrong, 413 over 64 KiB, 429 (Retry-After) over the per-client rate, '
        + '503 (Retry-After) when the log cannot take writes',
      tags: ['clicks'],
      body: { oneOf: [clickSchema, { type: 'array', items: clickSchema, minItems: 1, maxItems: MAX_CLICKS_PER_REQUEST }] },
      response: { 202: acceptedSchema },
    },
  }, async (req, reply): Promise<ClickAccepted> => {
    const accepted = await ingester.accept(req.body, req.ip);
    void reply.code(202);
    return accepted;
  });

  app.post('/kafka/click', {
    ...post,
    schema: {
      summary: 'The seed clicker\'s POST: {"type": "cheers"|"hate"}; as POST /clicks (202 once durable)',
      tags: ['clicks'],
      body: clickSchema,
      response: { 202: acceptedSchema },
    },
  }, async (req, reply): Promise<ClickAccepted> => {
    const accepted = await ingester.accept(req.body, req.ip);
    void reply.code(202);
    return accepted;
  });

  app.get('/clicks/data', {
    schema: {
      summary: 'Totals (every click since the topic began, exactly once), the 2-second bins of the last 2 minutes (final or not), '
        + 'clicks per second over the last 10 s, and when the newest result was computed',
      tags: ['clicks'],
    },
  }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(cached('data', () => view.data())));

  app.get('/kafka/data', {
    schema: {
      summary: 'The seed clicker\'s data: total_cheers, total_hate and recent_events (the last 2 minutes\' clicks, at most 1,000, oldest first)',
      tags: ['clicks'],
    },
  }, async (_req, reply) => reply.type('application/json; charset=utf-8').send(cached('seed', () => view.seedData())));

  app.get('/clicks/stream', {
    schema: {
      summary: `Server-Sent Events: \`snapshot\` (the /clicks/data body) at once, then \`data\` (the same shape) on each change, at most every ${STREAM_EVERY_MS} ms; `
        + 'ids on every event, resume with Last-Event-ID, a comment heartbeat',
      tags: ['clicks'],
    },
  }, (req, reply) => serveStream(req, reply, stream, () => [{ event: 'snapshot', data: view.data() }]));

  app.get('/clicker', { schema: { summary: 'The clicker page (redirects to /clicker.html)', tags: ['clicks'] } }, async (_req, reply) => reply.redirect('/clicker.html'));
};
