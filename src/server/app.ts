import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { EventLog } from '../log/types.js';
import { pipelineDeclarations } from '../pipelines/registry.js';
import type { MetricsView } from '../pipelines/ratings/ratings-metrics-view.js';
import { servePipelines, type ServedPipeline } from './serve-pipelines.js';
import { RecommendationService, type RecommendationServiceOptions } from '../recommend/serving/recommendation-service.js';
import { cacheOptionsFromEnv } from '../recommend/serving/recommendation-cache.js';
import { analyticsRoutes } from './routes/analytics-routes.js';
import { recommendRoutes } from './routes/recommend-routes.js';
import { recommendUserRoutes } from './routes/recommend-user-routes.js';
import { newRunId, type SseHub } from './sse-hub.js';
import { SseClientLimit } from './sse-client-limit.js';
import { guardAdminRoutes } from './admin-access.js';
import { errorBody } from './error-body.js';
import { registerBrowserPolicy } from './browser-policy.js';
import { loadConfig } from '../util/config.js';
import { isUserFacing, RetryLaterError } from '../util/errors.js';
import { eventsRoutes } from './routes/events-routes.js';
import { rejectNonFiniteNumbers } from './finite-numbers.js';
import { clientErrorMessage } from './client-error-message.js';

export { errorBody } from './error-body.js';

/** The largest request body a route takes unless it says otherwise (ingestion routes allow their batches). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

export interface ServerOptions {
  log: EventLog;
  /** The data dir, for routes that read files (the analytics outputs); without it they are absent. */
  dataDir?: string;
  /** pino options for request logs (Fastify's logger); false for none. */
  logger?: FastifyServerOptions['logger'];
  /** Where the built dashboard is; default dist/web beside this package. */
  webDir?: string;
  heartbeatMs?: number;
  /** How often streams with a visible heartbeat message send it (default STREAMREC_SSE_HEARTBEAT_MS). */
  heartbeatMessageMs?: number;
  healthEveryMs?: number;
  maxQueuedBytes?: number;
  /**
   * The bearer token admin routes require (every write route that is not public ingestion; see
   * admin-access.ts); default env STREAMREC_ADMIN_TOKEN. Without one, admin routes answer
   * loopback clients only.
   */
  adminToken?: string;
  /** Origins a browser page may call the API from (`*`: any); default env STREAMREC_CORS_ORIGIN; empty: CORS off. */
  corsOrigins?: string[];
  /** Event-stream connections held at once, all streams together (503 over it); default env STREAMREC_SSE_MAX_CLIENTS (1000). */
  sseMaxClients?: number;
  /** The largest body (bytes) of a route that sets none (default `DEFAULT_BODY_LIMIT`; 413 over it). */
  bodyLimit?: number;
  /**
   * The recommendation routes (with a data dir): service options (cache size and TTL default to
   * env STREAMREC_CACHE_SIZE / STREAMREC_CACHE_TTL), and an admin token (used when `adminToken`
   * is not given; kept for callers from before it); false leaves them out.
   */
  recommend?: (Partial<Omit<RecommendationServiceOptions, 'dataDir' | 'log'>> & { adminToken?: string }) | false;
}

export interface StreamrecServer {
  app: FastifyInstance;
  /** Every registered pipeline's results view and `/pipelines/<name>/stream` hub, by name. */
  pipelines: Map<string, ServedPipeline>;
  /** The seed `/metrics/*` API's view and SSE hub (contributed by the ratings pipeline's routes). */
  view: MetricsView;
  hub: SseHub;
  /** The event-stream connections held, all streams together, against their limit. */
  sseClients: SseClientLimit;
  /** Whether admin routes take a bearer token (else loopback clients only). */
  adminTokenSet: boolean;
  /** The recommendation service, when the server has a data dir. */
  recommend: RecommendationService | null;
  close(): Promise<void>;
}

const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/**
 * The HTTP server: JSON routes with request schemas, the OpenAPI document (/openapi.json) and
 * docs (/docs), Server-Sent Events, and the dashboard at /. Plugins register the parts.
 */
export async function buildServer(options: ServerOptions): Promise<StreamrecServer> {
  const config = loadConfig();
  const adminToken = options.adminToken ?? (options.recommend ? options.recommend.adminToken : undefined) ?? config.adminToken;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT });
  // Set before the plugins register, so every route's errors come here and every admin route is guarded.
  app.setErrorHandler(answerError);
  app.addHook('onRoute', guardAdminRoutes(adminToken));
  await registerBrowserPolicy(app, options.corsOrigins ?? config.corsOrigins);
  app.addHook('preHandler', rejectNonFiniteNumbers);
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'streamrec API', version: '1', description: 'Live metrics of the ratings pipeline, and recommendations from the trained models.' },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const sseClients = new SseClientLimit(options.sseMaxClients ?? config.sseMaxClients);
  // One run id for every stream of this server: a Last-Event-ID from before a restart gets a snapshot.
  const runId = newRunId();
  const served = await servePipelines(app, pipelineDeclarations(), {
    log: options.log,
    healthEveryMs: options.healthEveryMs,
    hub: {
      heartbeatMs: options.heartbeatMs,
      heartbeatMessageMs: options.heartbeatMessageMs ?? config.sseHeartbeatMs,
      maxQueuedBytes: options.maxQueuedBytes,
      onDrop: ({ clientId, queuedBytes }) => app.log.warn({ clientId, queuedBytes }, 'SSE client dropped: too far behind'),
      runId,
      limit: sseClients,
    },
  });
  await app.register(eventsRoutes, { log: options.log, declarations: pipelineDeclarations() });
  if (options.dataDir) await app.register(analyticsRoutes, { dataDir: options.dataDir });
  let recommend: RecommendationService | null = null;
  if (options.dataDir && options.recommend !== false) {
    const { adminToken: _unused, ...serviceOptions } = options.recommend ?? {};
    recommend = new RecommendationService({
      cache: cacheOptionsFromEnv(),
      logger: app.log,
      ...serviceOptions,
      dataDir: options.dataDir,
      log: options.log,
    });
    await app.register(recommendRoutes, { service: recommend });
    await app.register(recommendUserRoutes, { service: recommend, hub: { heartbeatMs: options.heartbeatMs, maxQueuedBytes: options.maxQueuedBytes, runId, limit: sseClients } });
  }

  const webDir = options.webDir ?? DEFAULT_WEB_DIR;
  if (existsSync(webDir)) {
    await app.register(fastifyStatic, { root: webDir, prefix: '/', index: ['index.html'], wildcard: false });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.type('text/plain').send('The dashboard is not built: run `npm run build`.\n'),
    );
  }

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorBody(404, undefined, `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  served.start();
  // Models load before the server listens: the first request finds them (or a clear 503).
  await recommend?.start();
  return {
    app,
    pipelines: served.pipelines,
    view: served.contributed.view as MetricsView,
    hub: served.contributed.stream as SseHub,
    sseClients,
    adminTokenSet: adminToken !== undefined,
    recommend,
    close: async () => {
      served.closeStreams();
      await app.close();
      await recommend?.close();
      await served.stop();
    },
  };
}

/**
 * The one error handler (bodies from `errorBody`: `detail` beside `message`, `error` the reason
 * phrase). A user-facing `StreamrecError` answers its `httpStatus` with its message (a 500
 * excepted: that is the server's problem, logged); Fastify's own errors (validation, body too
 * large …) and any other error carrying a `statusCode` below 500 answer as they say (a body too
 * large names the route's limit); anything else is logged and answers 500 without its message.
 * A 401 says which scheme it wants (`WWW-Authenticate: Bearer`).
 */
function answerError(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isUserFacing(err) && err.httpStatus !== 500) {
    const status = err.httpStatus;
    if (err instanceof RetryLaterError) void reply.header('Retry-After', String(err.retryAfterSeconds));
    if (status === 401) void reply.header('WWW-Authenticate', 'Bearer');
    return reply.code(status).send(errorBody(status, undefined, err.message));
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status < 500) {
    return reply.code(status).send(errorBody(status, undefined, clientErrorMessage(err, req)));
  }
  req.log.error({ err }, 'request failed');
  return reply.code(500).send(errorBody(500, undefined, 'internal error (see the server log)'));
}

