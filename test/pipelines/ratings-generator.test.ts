import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticCatalogue } from '../../src/movies/synthetic-catalogue.js';
import { LatentRatingModel } from '../../src/pipelines/ratings/rating-model.js';
import { RatingSource } from '../../src/pipelines/ratings/rating-source.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { RatingSchema, type Rating } from '../../src/movies/rating-event.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { tempDir } from '../helpers/tmp.js';

const catalogue = syntheticCatalogue(2000, 1);
const T0 = Date.UTC(2025, 10, 10);

function events(seed: number, n: number, late = 0, minDelayMs = 0, maxDelayMs = 60_000): Rating[] {
  const model = new LatentRatingModel({ catalogue, users: 1000, seed });
  const source = new RatingSource(model, { seed: seed + 1, lateFraction: late, minDelayMs, maxDelayMs });
  return Array.from({ length: n }, (_, i) => source.next(T0 + i * 10));
}

describe('ratings generator', () => {
  it('gives the same events for the same seed and different ones for another seed', () => {
    assert.deepEqual(events(7, 5000, 0.1), events(7, 5000, 0.1));
    assert.notDeepEqual(events(7, 500), events(8, 500));
  });

  it('produces valid ratings with a MovieLens-like distribution', () => {
    const sample = events(3, 100_000);
    for (const e of sample.slice(0, 1000)) RatingSchema.parse(e);
    const counts = new Map<number, number>();
    let sum = 0;
    for (const e of sample) {
      assert.ok(e.rating >= 0.5 && e.rating <= 5 && Number.isInteger(e.rating * 2), `rating ${e.rating}`);
      assert.ok(catalogue.get(e.movieId), `movie ${e.movieId} is in the catalogue`);
      assert.ok(e.userId >= 1 && e.userId <= 1000);
      counts.set(e.rating, (counts.get(e.rating) ?? 0) + 1);
      sum += e.rating;
    }
    const mean = sum / sample.length;
    assert.ok(mean > 3.3 && mean < 3.7, `mean ${mean.toFixed(3)} near 3.5`);
    const mode = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    assert.ok(mode === 4 || mode === 3.5, `most common rating ${mode}`);
    assert.ok(counts.get(4)! > counts.get(4.5)! && counts.get(3)! > counts.get(2.5)!, 'whole stars beat the half stars beside them');
    assert.equal(counts.size, 10, 'every half-star value occurs');
  });

  it('skews popularity: a few movies get most ratings', () => {
    const perMovie = new Map<number, number>();
    for (const e of events(5, 100_000)) perMovie.set(e.movieId, (perMovie.get(e.movieId) ?? 0) + 1);
    const sorted = [...perMovie.values()].sort((a, b) => b - a);
    const top1pct = sorted.slice(0, 20).reduce((s, c) => s + c, 0);
    assert.ok(top1pct / 100_000 > 0.2, `top 1% of movies have ${((100 * top1pct) / 100_000).toFixed(1)}% of ratings`);
  });

  it('stamps the configured fraction of events late, with delays in range', () => {
    const n = 100_000;
    const sample = events(11, n, 0.05, 11 * 60_000, 20 * 60_000);
    let late = 0;
    sample.forEach((e, i) => {
      const delay = T0 + i * 10 - e.timestamp;
      if (delay > 0) {
        late++;
        assert.ok(delay >= 11 * 60_000 && delay <= 20 * 60_000, `delay ${delay}`);
      } else {
        assert.equal(delay, 0);
      }
    });
    assert.ok(Math.abs(late / n - 0.05) < 0.004, `late fraction ${(late / n).toFixed(4)}`);
  });

  it('backfills a past period into the ratings topic, keyed by user', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const stats = await generateRatings({
        log, catalogue, users: 500, seed: 9, rate: Infinity, count: 12_000,
        backfill: { fromMs: T0, spanMs: 3_600_000 },
      });
      assert.equal(stats.sent, 12_000);
      const consumer = log.consumer({ group: 'check', topics: ['ratings'] });
      const seen: Rating[] = [];
      for (;;) {
        const batch = await consumer.poll({ maxRecords: 5000 });
        if (batch.length === 0) break;
        for (const r of batch) {
          const e = JSON.parse(r.value as string) as Rating;
          assert.equal(r.key, String(e.userId));
          seen.push(e);
        }
      }
      assert.equal(seen.length, 12_000);
      assert.ok(seen.every((e) => e.timestamp >= T0 && e.timestamp < T0 + 3_600_000), 'event times inside the span');
      assert.equal((await log.topic('ratings'))!.partitions.length, 4);
    } finally {
      await log.close();
      cleanup();
    }
  });
});
