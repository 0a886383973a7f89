import { StreamrecError } from '../../util/errors.js';
import type { FastifyPluginAsync } from 'fastify';
import { readAnalytics, type AnalyticsReader } from '../../analytics/read-analytics.js';

export interface AnalyticsRoutesOptions {
  dataDir: string;
}

/**
 * The batch analytics outputs (`streamrec analytics`), read from the lake. Errors go to the app's
 * one handler: before the first run, 404 (`NoAnalyticsError`); a bad argument, 400.
 */
export const analyticsRoutes: FastifyPluginAsync<AnalyticsRoutesOptions> = async (app, { dataDir }) => {
  let reader: AnalyticsReader | null = null;
  const open = async () => (reader ??= await readAnalytics(dataDir));
  app.addHook('onClose', async () => reader?.close());

  app.get<{ Querystring: { genre?: string } }>('/analytics/distributions', {
    schema: {
      summary: 'Rating distribution (count and share of each value) and summary statistics, overall and per genre',
      tags: ['analytics'],
      querystring: { type: 'object', properties: { genre: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]*$' } }, additionalProperties: false },
    },
  }, async (req) => {
    const r = await open();
    const rows = await r.distributions(req.query.genre);
    if (req.query.genre !== undefined && rows.length === 0) {
      throw new StreamrecError(`no ratings for genre ${JSON.stringify(req.query.genre)} in the analysed range`, { code: 'unknown-genre', status: 404 });
    }
    return { generated_at: r.manifest()?.finished_at ?? null, distributions: rows };
  });

  app.get<{ Querystring: { period: 'hour' | 'day'; at?: string } }>('/analytics/topn', {
    schema: {
      summary: 'The top 50 movies by score (count × average) of an hour or a day',
      tags: ['analytics'],
      querystring: {
        type: 'object',
        properties: { period: { type: 'string', enum: ['hour', 'day'], default: 'hour' }, at: { type: 'string', format: 'date-time' } },
        additionalProperties: false,
      },
    },
  }, async (req) => (await open()).topn(req.query.period, req.query.at));

  app.get<{ Querystring: { limit: number } }>('/analytics/trending', {
    schema: {
      summary: 'Movies rising in the latest window against the one before (rank change, new entries)',
      tags: ['analytics'],
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }, additionalProperties: false },
    },
  }, async (req) => (await open()).trending(req.query.limit));
};
