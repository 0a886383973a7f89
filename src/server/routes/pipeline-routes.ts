import { StreamrecError } from '../../util/errors.js';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { PipelineHistory, PipelineSnapshot, PipelineSummary, ResultEnvelope } from '../../pipelines/pipeline-result.js';
import { responseCache } from '../../pipelines/response-cache.js';
import { serveStream } from '../../pipelines/stream-route.js';
import type { PipelineView } from '../pipeline-view.js';
import type { SseHub } from '../sse-hub.js';

export interface PipelineRoutesOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  view: PipelineView<any>;
  hub: SseHub;
}

/** Every registered pipeline's routes under `/pipelines/<name>/` (one registration each). */
export const pipelineRoutes: FastifyPluginAsync<PipelineRoutesOptions> = async (app, { view, hub }) => {
  const { name, windows } = view.declaration;
  const prefix = `/pipelines/${name}`;
  const noData = `no results of ${name} yet: start it with \`streamrec process ${name}\` (or \`streamrec up\`)`;
  const cached = responseCache(view);
  const json = (body: string | null, reply: FastifyReply) =>
    body === null
      ? Promise.reject(new StreamrecError(noData, { code: 'no-results', status: 404 }))
      : reply.type('application/json; charset=utf-8').send(body);
  const tags = [`pipeline ${name}`];

  const summary = (): PipelineSummary | null =>
    view.hasData()
      ? { pipeline: name, windows: Object.fromEntries(windows.map((w) => [w, view.latestOf(w)])), events_total: view.eventsTotal }
      : null;

  app.get(`${prefix}/summary`, {
    schema: { summary: `The latest result of each ${name} window`, tags },
  }, async (_req, reply) => json(cached('summary', summary), reply));

  app.get<{ Querystring: { window: string; limit: number } }>(`${prefix}/history`, {
    schema: {
      summary: `Final ${name} window results, oldest first`,
      tags,
      querystring: {
        type: 'object',
        properties: { window: { type: 'string', enum: [...windows], default: windows[0] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
        additionalProperties: false,
      },
    },
  }, async (req, reply) => json(cached(`history:${req.query.window}:${req.query.limit}`, (): PipelineHistory<ResultEnvelope> => ({
    window: req.query.window,
    items: view.historyOf(req.query.window, req.query.limit),
  })), reply));

  app.get(`${prefix}/health`, {
    schema: { summary: `${name} health: consumer lag, watermark, events/s, late and dead-letter totals`, tags },
  }, async () => view.healthNow());

  app.get(`${prefix}/stream`, {
    schema: {
      summary: `Server-Sent Events: \`snapshot\` at once, then \`result\` (each new ${name} result) and \`health\` (every second); ids resume with Last-Event-ID`,
      tags,
    },
  }, (req, reply) => {
    const snapshot = (): PipelineSnapshot => ({ summary: summary(), health: view.health(), history: view.recent(120) });
    return serveStream(req, reply, hub, () => [{ event: 'snapshot', data: snapshot() }]);
  });
};
