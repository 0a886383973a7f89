// The ratings follower: reads the whole topic at every start (reporting that it is catching up
// and its lag meanwhile), and survives a log that fails at first.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog } from '../../../src/log/types.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec, type Rating } from '../../../src/movies/rating-event.js';
import { RatingsFollower, type FollowerStats } from '../../../src/recommend/serving/ratings-follower.js';
import { RecommendationService } from '../../../src/recommend/serving/recommendation-service.js';
import { waitFor } from '../../helpers/sse-client.js';
import { tempDir } from '../../helpers/tmp.js';
import { storeSynthDataset, trainIntoDataDir } from './fixtures.js';

const send = (log: EventLog, ratings: Rating[]) =>
  log.producer().send(RATINGS_TOPIC, ratings.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r), timestamp: r.timestamp })));

describe('ratings follower', () => {
  it('reads the topic from its earliest offset at every start, catching up in batches and saying so', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await log.ensureTopic(RATINGS_TOPIC, { partitions: RATINGS_PARTITIONS });
      const n = 5000;
      await send(log, Array.from({ length: n }, (_, i) => ({ userId: 1 + (i % 97), movieId: 1 + i, rating: 4, timestamp: 1_700_000_000_000 + i })));
      await log.producer().send(RATINGS_TOPIC, [{ key: 'x', value: '{"not":"a rating"}' }]);
      // A position an earlier version committed: neither used nor kept.
      const earlier = log.consumer({ group: 'recommend-server', topics: [RATINGS_TOPIC] });
      await earlier.commit([{ topic: RATINGS_TOPIC, partition: 0, offset: 1 }]);
      await earlier.close();

      for (let run = 0; run < 2; run++) {
        const held = n + run; // the second start also finds the rating sent during the first
        const seen: Rating[] = [];
        let first: FollowerStats | undefined;
        const follower = new RatingsFollower({
          log,
          onRatings: (ratings) => {
            first ??= { ...follower.stats };
            seen.push(...ratings);
          },
        });
        follower.start();
        try {
          await waitFor(() => follower.stats.following && !follower.stats.catchingUp, 10_000, 'caught up');
          assert.ok(first, 'ratings delivered');
          assert.equal(first.catchingUp, true, 'catching up while the backlog is read');
          assert.equal(first.lag, held + 1, 'the lag at the start: the whole topic');
          assert.ok(seen.length > 0 && first.read === 0, 'in batches');
          assert.equal(seen.length, held, `run ${run}: every rating, from the earliest offset`);
          assert.equal(new Set(seen.map((r) => r.movieId)).size, held);
          assert.equal(follower.stats.skipped, 1, 'the malformed record skipped');
          assert.equal(follower.stats.lag, 0);
          // New ratings follow at once.
          await send(log, [{ userId: 5, movieId: 99_990 + run, rating: 1, timestamp: Date.now() }]);
          await waitFor(() => seen.length === held + 1, 5000, 'the new rating');
        } finally {
          await follower.stop();
        }
      }
      assert.deepEqual((await log.committed('recommend-server', RATINGS_TOPIC)).length, 0, 'no position committed');
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('retries a failing setup in the background, reporting it in health, then follows', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    let broken = true;
    // The log fails to give a consumer (as a remote broker may at start) until `broken` is cleared.
    const flaky = new Proxy(log, {
      get(target, property, receiver) {
        if (property === 'consumer' && broken) return () => { throw new Error('broker unreachable: connection refused'); };
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const service = new RecommendationService({ dataDir: dir, log: flaky, pollEveryMs: 0 });
    try {
      const dataset = await storeSynthDataset(dir);
      await trainIntoDataDir(dir, dataset);
      await service.start();
      await waitFor(() => (service.health().online.last_error ?? '').includes('broker unreachable'), 5000, 'the failure reported');
      assert.equal(service.health().online.following, false);
      assert.equal(service.health().status, 'healthy', 'recommendations are served meanwhile');

      broken = false;
      await waitFor(() => service.health().online.following, 10_000, 'following after the retry');
      assert.equal(service.health().online.last_error, null);
      await send(log, [{ userId: 900_001, movieId: dataset.catalogue.all()[0]!.movieId, rating: 5, timestamp: Date.now() }]);
      await waitFor(() => service.historyOf(900_001)!.movies.length === 1, 5000, 'the rating applied');
    } finally {
      await service.close();
      await log.close();
      cleanup();
    }
  });
});
