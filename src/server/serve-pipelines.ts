import type { FastifyInstance } from 'fastify';
import type { EventLog } from '../log/types.js';
import type { EventStream } from '../pipelines/pipeline-declaration.js';
import type { AnyPipelineDeclaration } from '../pipelines/registry.js';
import { PipelineView } from './pipeline-view.js';
import { pipelineRoutes } from './routes/pipeline-routes.js';
import { SseHub, type SseHubOptions } from './sse-hub.js';

export interface ServedPipeline {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  view: PipelineView<any>;
  /** The hub of `/pipelines/<name>/stream`. */
  hub: SseHub;
}

export interface ServePipelinesOptions {
  log: EventLog;
  healthEveryMs?: number;
  hub: SseHubOptions;
}

export interface ServedPipelines {
  pipelines: Map<string, ServedPipeline>;
  /** The first `view` and `stream` a pipeline's own routes offered (the seed API's). */
  contributed: { view?: unknown; stream?: EventStream };
  start(): void;
  closeStreams(): void;
  stop(): Promise<void>;
}

/**
 * For every declared pipeline: a view following its output topic, the generic
 * `/pipelines/<name>/…` routes, and the routes the declaration adds itself.
 */
export async function servePipelines(app: FastifyInstance, declarations: AnyPipelineDeclaration[], options: ServePipelinesOptions): Promise<ServedPipelines> {
  const pipelines = new Map<string, ServedPipeline>();
  const hubs: SseHub[] = [];
  const contributed: ServedPipelines['contributed'] = {};
  const newHub = (extra: Pick<SseHubOptions, 'heartbeatMessage'> = {}) => {
    const hub = new SseHub({ ...options.hub, ...extra });
    hubs.push(hub);
    return hub;
  };
  for (const declaration of declarations) {
    const view = new PipelineView(declaration, { log: options.log, healthEveryMs: options.healthEveryMs });
    const hub = newHub();
    const own: SseHub[] = [hub];
    view.sseClients = () => own.reduce((n, h) => n + h.size, 0);
    view.onResult((record) => hub.publish('result', record));
    view.onHealth((health) => hub.publish('health', health));
    pipelines.set(declaration.name, { view, hub });
    await app.register(pipelineRoutes, { view, hub });
    if (declaration.routes) {
      const routes = declaration.routes({
        results: view,
        log: options.log,
        newStream: (streamOptions) => {
          const extra = newHub(streamOptions);
          own.push(extra);
          return extra;
        },
      });
      await app.register(routes.plugin);
      contributed.view ??= routes.view;
      contributed.stream ??= routes.stream;
    }
  }
  return {
    pipelines,
    contributed,
    start: () => {
      for (const p of pipelines.values()) p.view.start();
    },
    closeStreams: () => {
      for (const h of hubs) h.close();
    },
    stop: async () => {
      await Promise.all([...pipelines.values()].map((p) => p.view.stop()));
    },
  };
}
