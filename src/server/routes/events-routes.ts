import type { FastifyPluginAsync } from 'fastify';
import type { EventLog } from '../../log/types.js';
import { ingesterFor } from '../../pipelines/ingest.js';
import type { AnyPipelineDeclaration } from '../../pipelines/registry.js';
import { StreamrecError } from '../../util/errors.js';

export interface EventsRoutesOptions {
  log: EventLog;
  declarations: AnyPipelineDeclaration[];
}

/**
 * `POST /events/<pipeline>`: events for any registered pipeline that declares `ingest`, checked
 * against its source codec, appended to its source topic, answered 202 once durable (the same
 * ingester, group commit and per-client limit as the pipeline's own routes).
 */
export const eventsRoutes: FastifyPluginAsync<EventsRoutesOptions> = async (app, { log, declarations }) => {
  const takers = declarations.filter((d) => d.ingest);
  const names = takers.map((d) => d.name);
  const bodyLimit = Math.max(1024, ...takers.map((d) => d.ingest!.maxBodyBytes));

  app.post<{ Params: { pipeline: string } }>('/events/:pipeline', {
    bodyLimit,
    schema: {
      summary: `Post events to a pipeline that takes them (${names.join(', ') || 'none'}): one event object or an array; `
        + '202 with the offsets once durable; 400 names what is wrong, 404 for a pipeline that takes none, 413, 429 and 503 with Retry-After',
      tags: ['events'],
      params: { type: 'object', properties: { pipeline: { type: 'string', examples: names } }, required: ['pipeline'] },
      body: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
    },
    // The ingester checks bodies (its messages name what is wrong); the schema documents them.
    validatorCompiler: () => () => true,
  }, async (req, reply) => {
    const { pipeline } = req.params;
    const declaration = declarations.find((d) => d.name === pipeline);
    const ingester = declaration ? ingesterFor(log, declaration) : null;
    if (!declaration || !ingester) {
      const why = declaration ? `pipeline ${pipeline} takes no events over HTTP` : `no pipeline ${pipeline}`;
      throw new StreamrecError(`${why}; pipelines that take events: ${names.join(', ') || 'none'}`, { code: 'no-ingest', status: 404 });
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > declaration.ingest!.maxBodyBytes) {
      throw new StreamrecError(`body of ${length} bytes: ${pipeline} takes at most ${declaration.ingest!.maxBodyBytes}`, { code: 'body-too-large', status: 413 });
    }
    const accepted = await ingester.accept(req.body, req.ip);
    return reply.code(202).send(accepted);
  });
};
