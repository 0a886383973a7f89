import { loadConfig } from '../../util/config.js';
import type { PipelineDeclaration, PipelineIngest } from '../pipeline-declaration.js';
import { CLICKS_BINS_TOPIC, CLICKS_TOPIC, clickCodec, MAX_CLICKS_BODY_BYTES, MAX_CLICKS_PER_REQUEST, stampClick, type Click } from './click-event.js';
import { clicksGenerator } from './clicks-generator.js';
import { CLICKS_LAKE_VIEWS, clicksSinks } from './clicks-lake.js';
import { BINS_WINDOW, clicksPipeline, clicksResultSchema, type ClicksResult } from './clicks-pipeline.js';
import { clicksRoutes } from './clicks-routes.js';

/** Clicks come in over HTTP: the server stamps their time; env STREAMREC_CLICKS_RATE_LIMIT per client. */
export const clicksIngest: PipelineIngest<Click> = {
  codec: clickCodec,
  stamp: stampClick,
  maxBatch: MAX_CLICKS_PER_REQUEST,
  maxBodyBytes: MAX_CLICKS_BODY_BYTES,
  rateLimit: () => loadConfig().clicksRateLimit,
  partitions: 1,
};

/**
 * The clicks pipeline (the seed's Kafka clicker): cheers and hate posted by the clicker page →
 * `clicks` → 2-second bins in `clicks.bins` → `/clicks/*`, `/kafka/*`; the lake's clicks_raw and
 * clicks_agg. `up` runs its processor but not its generator (the clicks come from the page).
 */
export const clicksDeclaration: PipelineDeclaration<ClicksResult> = {
  name: 'clicks',
  sourceTopic: CLICKS_TOPIC,
  outputTopic: CLICKS_BINS_TOPIC,
  windows: [BINS_WINDOW],
  result: clicksResultSchema,
  runInUp: true,
  generateInUp: false,
  open: async (ctx) => clicksPipeline({ idleTimeoutMs: ctx.idleTimeoutMs, outOfOrdernessMs: ctx.outOfOrdernessMs }),
  lake: {
    views: CLICKS_LAKE_VIEWS,
    sinks: clicksSinks,
  },
  generator: clicksGenerator,
  ingest: clicksIngest as PipelineIngest,
  routes: clicksRoutes(clicksIngest as PipelineIngest),
};
