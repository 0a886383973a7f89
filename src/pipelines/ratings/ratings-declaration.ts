import { ensureCatalogue } from '../../movies/catalogue-store.js';
import { RATINGS_TOPIC } from '../../movies/rating-event.js';
import type { PipelineDeclaration, PipelineIngest } from '../pipeline-declaration.js';
import { ratingsGenerator } from './ratings-generator-declaration.js';
import { ratingsIngest } from './ratings-ingest.js';
import { RATINGS_LAKE_VIEWS, ratingsAggSink, ratingsRawSink } from './ratings-lake.js';
import { metricsRecordSchema, type MetricsRecord } from './ratings-metrics.js';
import { ratingsPipeline } from './ratings-pipeline.js';
import { ratingsRoutes } from './ratings-routes.js';
import { METRICS_TOPIC } from './ratings-topics.js';

/** The ratings pipeline: movie ratings (generated, or posted to `/events/ratings`) → `metrics`, the lake's ratings/raw and ratings/agg, `/metrics/*`. */
export const ratingsDeclaration: PipelineDeclaration<MetricsRecord> = {
  name: 'ratings',
  sourceTopic: RATINGS_TOPIC,
  outputTopic: METRICS_TOPIC,
  windows: ['tumbling_1min', 'sliding_5min'],
  result: metricsRecordSchema,
  runInUp: true,
  open: async (ctx) => {
    const catalogue = await ensureCatalogue({ dataDir: ctx.dataDir });
    return ratingsPipeline({ catalogue, idleTimeoutMs: ctx.idleTimeoutMs, outOfOrdernessMs: ctx.outOfOrdernessMs });
  },
  lake: {
    views: RATINGS_LAKE_VIEWS,
    sinks: (ctx) => [ratingsRawSink(ctx), ratingsAggSink(ctx)],
  },
  generator: ratingsGenerator,
  ingest: ratingsIngest as PipelineIngest,
  routes: ratingsRoutes,
};
