import type { FastifyPluginAsync } from 'fastify';
import { serveStream } from '../../pipelines/stream-route.js';
import type { UserStreamEvents } from '../../recommend/serving/contract.js';
import type { RecommendationService } from '../../recommend/serving/recommendation-service.js';
import { KeyedSseHubs } from '../keyed-sse-hubs.js';
import type { SseHubOptions } from '../sse-hub.js';

export interface RecommendUserRoutesOptions {
  service: RecommendationService;
  /** The per-user streams' hub options: the server's run id, its SSE connection limit, heartbeats. */
  hub: SseHubOptions;
}

const MAX_ID = 2_147_483_647;
const userParams = { type: 'object', properties: { user_id: { type: 'integer', minimum: 1, maximum: MAX_ID } }, required: ['user_id'] } as const;
/** Events a user's stream keeps for a reconnect (Last-Event-ID). */
const USER_RING = 100;

/**
 * What the Recommendations page reads of one user: their view (ratings and every model's list
 * with reasons) and a live stream that says when their lists changed — their ratings applied
 * from the log, or new model versions swapped in.
 */
export const recommendUserRoutes: FastifyPluginAsync<RecommendUserRoutesOptions> = async (app, { service, hub }) => {
  const hubs = new KeyedSseHubs<number>({ ...hub, ringSize: USER_RING });
  const unsubscribe = service.onUpdate((update) => {
    if (update.type === 'ratings') {
      const data: UserStreamEvents['ratings'] = {
        user_id: update.userId,
        ratings: update.ratings.map((r) => ({ movie_id: r.movieId, rating: r.rating, timestamp: r.timestamp })),
      };
      hubs.publish(update.userId, 'ratings', data);
    } else {
      const data: UserStreamEvents['models'] = { model_versions: { ...update.versions } as Record<string, string> };
      hubs.broadcast('models', data);
    }
  });
  // Before the server waits for its connections to end: these streams never end by themselves.
  app.addHook('preClose', (done) => {
    unsubscribe();
    hubs.close();
    done();
  });

  app.get<{ Params: { user_id: number }; Querystring: { n: number } }>('/recommendations/users/:user_id', {
    schema: {
      summary: "A user's ratings and every served model's top-N, each movie with the user's rated movies the same model finds most similar to it",
      description:
        'Ratings: those streamed since training, newest first, then the training ones, best first (the training data keeps no time per user). ' +
        'Models: every served model in preference order, each with its version and `source` (`fallback_popular` when it had nothing for the user). ' +
        'Items: `score` is the model\'s ranking score, `predicted_rating` as /recommend gives it, and `because` the user\'s rated movies among the ' +
        'model\'s nearest neighbours of the item (its `similar`), most similar first. Computed at each request, never cached.',
      tags: ['recommendations'],
      params: userParams,
      querystring: {
        type: 'object',
        properties: { n: { type: 'integer', minimum: 1, maximum: 50, default: 10 } },
        additionalProperties: false,
      },
    },
  }, async (req) => service.userView(req.params.user_id, req.query.n));

  app.get<{ Params: { user_id: number } }>('/recommendations/users/:user_id/stream', {
    schema: {
      summary: "Server-Sent Events for one user: `hello` at connect, `ratings` when ratings of theirs are applied from the log, `models` when new model versions are served",
      description: 'Either event means the user\'s lists changed: fetch /recommendations/users/{user_id} again. Counts against the server\'s SSE connection limit (503 over it).',
      tags: ['recommendations'],
      params: userParams,
    },
  }, (req, reply) => {
    const userId = req.params.user_id;
    const hello = (): UserStreamEvents['hello'] => ({
      user_id: userId,
      ratings: service.historyOf(userId)?.movies.length ?? 0,
      model_versions: { ...(service.modelSet?.versions ?? {}) } as Record<string, string>,
    });
    return serveStream(req, reply, hubs.hub(userId), () => [{ event: 'hello', data: hello() }]);
  });
};
