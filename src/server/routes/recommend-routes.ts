import type { FastifyPluginAsync } from 'fastify';
import { SERVING_MODELS } from '../../recommend/models/model-kinds.js';
import { RecommendError, recommendBody, type RecommendationService } from '../../recommend/serving/recommendation-service.js';

export interface RecommendRoutesOptions {
  service: RecommendationService;
}

const MAX_ID = 2_147_483_647;
const id = { type: 'integer', minimum: 1, maximum: MAX_ID } as const;
const modelParam = { type: 'string', enum: [...SERVING_MODELS] };
const text = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f]*$' } as const;


const movieItem = {
  type: 'object',
  properties: {
    movie_id: { type: 'integer' },
    title: { type: ['string', 'null'] },
    genres: { type: 'array', items: { type: 'string' } },
  },
} as const;

/** `exclude=1,2,3` → movie ids; a 400 naming the parameter and the bad item otherwise. */
function parseExclude(value: string | undefined): number[] {
  if (value === undefined || value === '') return [];
  return value.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1 || n > MAX_ID || part.trim() === '') {
      throw new RecommendError('bad-request', `querystring/exclude must be a comma-separated list of movie ids, got ${JSON.stringify(part)}`);
    }
    return n;
  });
}

/**
 * The recommendation API of the old Python service (same paths and fields), plus reload. Reload is
 * a write route, so `server/admin-access.ts` guards it (bearer token, else loopback only) before
 * its handler runs: nothing here checks access.
 */
export const recommendRoutes: FastifyPluginAsync<RecommendRoutesOptions> = async (app, { service }) => {

  app.get<{ Params: { user_id: number }; Querystring: { n: number; use_cache: boolean; model?: string; genre?: string; exclude?: string } }>('/recommendations/recommend/:user_id', {
    schema: {
      summary: 'Top-N movies for a user (a popular fallback for users no model knows)',
      tags: ['recommendations'],
      params: { type: 'object', properties: { user_id: id }, required: ['user_id'] },
      querystring: {
        type: 'object',
        properties: {
          n: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
          use_cache: { type: 'boolean', default: true },
          model: modelParam,
          genre: text,
          exclude: { type: 'string', maxLength: 10_000, description: 'comma-separated movie ids never to return' },
        },
        additionalProperties: false,
      },
      response: {
        200: {
          type: 'object',
          properties: {
            user_id: { type: 'integer' },
            recommendations: { type: 'array', items: { ...movieItem, properties: { ...movieItem.properties, predicted_rating: { type: 'number' }, rank: { type: 'integer' } } } },
            timestamp: { type: 'string' },
            model_version: { type: 'string' },
            source: { type: 'string', enum: ['model', 'cache', 'fallback_popular'] },
          },
        },
      },
    },
  }, async (req, reply) => {
    const q = req.query;
    const outcome = service.recommend(req.params.user_id, { n: q.n, model: q.model, genre: q.genre, exclude: parseExclude(q.exclude), useCache: q.use_cache });
    // Serialised by hand: the items are JSON already (cached answers cost a concatenation).
    return reply.type('application/json; charset=utf-8').send(recommendBody(outcome, new Date().toISOString()));
  });

  app.post<{ Body: { user_id: number; movie_id: number; model?: string } }>('/recommendations/predict', {
    schema: {
      summary: 'The predicted rating of a movie for a user',
      tags: ['recommendations'],
      body: {
        type: 'object',
        properties: { user_id: id, movie_id: id, model: modelParam },
        required: ['user_id', 'movie_id'],
        additionalProperties: false,
      },
    },
  }, async (req) => service.predict(req.body.user_id, req.body.movie_id, req.body.model));

  app.get<{ Params: { movie_id: number }; Querystring: { n: number; model?: string } }>('/recommendations/similar/:movie_id', {
    schema: {
      summary: 'Movies similar to a movie',
      description:
        'The n movies most similar to `movie_id` by the model asked for (default: the default model), best first. ' +
        '`similarity` is on one scale, 0 to 1, for every model, so one threshold (e.g. `similarity > 0.5`) means the same whichever answers: ' +
        'als — the cosine of the two movies\' latent factor vectors, clamped at 0; ' +
        'itemcf — the cosine (adjusted cosine by default) of their rating vectors, times n / (n + shrinkage) for n users who rated both; ' +
        'content — the cosine of their content vectors (genome tags, genres, tags, year); ' +
        'hybrid — the weighted mean of its components\' similarities (a movie outside a component\'s list counts 0 for it), ' +
        'listed in the order of its rank fusion, so a later movie may have a higher similarity than an earlier one. ' +
        '1 is an identical direction, 0 nothing in common (or opposite). Rounded to 4 decimals.',
      tags: ['recommendations'],
      params: { type: 'object', properties: { movie_id: id }, required: ['movie_id'] },
      querystring: {
        type: 'object',
        properties: { n: { type: 'integer', minimum: 1, maximum: 50, default: 10 }, model: modelParam },
        additionalProperties: false,
      },
    },
  }, async (req) => service.similar(req.params.movie_id, req.query.n, req.query.model));

  app.get('/recommendations/health', {
    schema: { summary: 'Models loaded and their versions, cache statistics, online updates', tags: ['recommendations'] },
  }, async () => service.health());

  for (const path of ['/recommendations/', '/recommendations']) {
    app.get(path, {
      schema: { summary: 'Service information: the models available, the dataset served, its users and genres', tags: ['recommendations'], hide: path === '/recommendations' },
    }, async () => service.info());
  }

  app.post('/recommendations/reload', {
    schema: {
      summary: 'Load the latest model versions now and swap them in (an admin route: bearer token when one is set, else this machine only)',
      tags: ['recommendations'],
    },
  }, async (_req, reply) => {
    const result = await service.reload();
    const body = { ...result, model_version: service.health().model_version, timestamp: new Date().toISOString() };
    // Failed, wholly or for some models (`failures`): 503 when nothing is served, 500 when models are.
    return reply.code(result.loaded && result.failures.length === 0 ? 200 : service.modelSet ? 500 : 503).send(body);
  });
};
