import { loadConfig } from '../../util/config.js';
import type { BackgroundService, PipelineDeclaration, ServiceContext } from '../pipeline-declaration.js';
import { COMMERCE_TOPICS } from './commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC } from './commerce-events.js';
import { COMMERCE_LAKE_VIEWS, commerceLakeSinks } from './commerce-lake.js';
import { COMMERCE_WINDOW, commercePipeline, commerceResultSchema, type CommerceResult } from './commerce-pipeline.js';
import { commerceRoutes, type CommerceEndpoints } from './commerce-routes.js';
import { commerceRelayService } from './relay/commerce-relay.js';
import { RedisMetricsWriter } from './redis-metrics.js';
import { commerceGenerator } from './shop/commerce-generator.js';
import { WarehouseSink } from './warehouse.js';

/**
 * Where PostgreSQL and Redis are: the flags (`--postgres`, `--redis`) when the services were
 * started with them, else STREAMREC_POSTGRES_URL / STREAMREC_REDIS_URL. The health route reads
 * it at each check, so a server in the same process as the services (`up`) reports what they use.
 */
const started: Partial<CommerceEndpoints> = {};

export function commerceEndpoints(flags: Record<string, unknown> = {}): CommerceEndpoints {
  const config = loadConfig();
  const flag = (name: string) => (typeof flags[name] === 'string' && flags[name] !== '' ? (flags[name] as string) : undefined);
  return {
    postgres: flag('postgres') ?? started.postgres ?? config.postgresUrl,
    redis: flag('redis') ?? started.redis ?? config.redisUrl,
  };
}

/**
 * The sinks beside the lake, as background services, each only when its service is configured:
 * the warehouse (`realtime_events` in PostgreSQL, exactly once) and the seed's Redis keys.
 * Without PostgreSQL the lake's `commerce_raw` is the warehouse.
 */
export function commerceSinkServices(ctx: ServiceContext): BackgroundService[] {
  const { postgres, redis } = commerceEndpoints(ctx.flags);
  Object.assign(started, { postgres, redis });
  const services: BackgroundService[] = [];
  if (postgres) {
    const sink = new WarehouseSink({ log: ctx.log, url: postgres });
    services.push({
      name: 'commerce warehouse',
      run: async (signal) => {
        if (ctx.exitWhenIdle) await sink.runOnce();
        else await sink.run(signal);
      },
      status: () => sink.status(),
    });
  }
  if (redis) {
    const writer = new RedisMetricsWriter({ log: ctx.log, url: redis });
    services.push({ name: 'commerce redis metrics', run: (signal) => (ctx.exitWhenIdle ? Promise.resolve() : writer.run(signal)), status: () => writer.status() });
  }
  return services;
}

/**
 * The commerce pipeline (the seed's InstaShop): the shop (PostgreSQL or embedded SQLite) and its
 * outbox → the relay → its five topics, merged by event time → 30-second windows in
 * `commerce.windows` → `/commerce/*`, the Commerce page, the lake (`commerce_raw`,
 * `commerce_agg`), the PostgreSQL warehouse and the seed's Redis keys.
 */
export const commerceDeclaration: PipelineDeclaration<CommerceResult> = {
  name: 'commerce',
  sourceTopic: COMMERCE_TOPICS[0],
  sourceTopics: COMMERCE_TOPICS,
  outputTopic: COMMERCE_WINDOWS_TOPIC,
  windows: [COMMERCE_WINDOW],
  result: commerceResultSchema,
  runInUp: true,
  open: async (ctx) => commercePipeline({ idleTimeoutMs: ctx.idleTimeoutMs, outOfOrdernessMs: ctx.outOfOrdernessMs }),
  lake: {
    views: COMMERCE_LAKE_VIEWS,
    sinks: commerceLakeSinks,
  },
  generator: commerceGenerator,
  services: (ctx) => [commerceRelayService(ctx), ...commerceSinkServices(ctx)],
  routes: commerceRoutes(() => commerceEndpoints()),
};
