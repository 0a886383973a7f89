// Each served model's age and the streamed ratings it has not seen, from its metadata.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelMetadata } from '../../../src/recommend/registry/registry.js';
import { modelFreshness, mostUnseen } from '../../../src/recommend/serving/model-freshness.js';

const meta = (version: string, fingerprint: string, createdAt: string): ModelMetadata => ({
  model: 'als', version, createdAt, params: {}, dataFingerprint: fingerprint, dataset: { name: 'lake', ratings: 10, users: 2, movies: 5 },
  metrics: {}, trainingSeconds: 1, library: { name: 'streamrec', version: '0' }, artefacts: [],
});

describe('model freshness', () => {
  it('ages each model from its commit and counts the streamed ratings after its data\'s newest', () => {
    const streamed = [100, 150, 200, 250, 300];
    const asked: number[] = [];
    const f = modelFreshness({
      versions: { als: 'v2', itemcf: 'v1', content: 'v3', hybrid: 'v9' },
      metadata: {
        als: meta('v2', 'fpB', '2026-01-01T00:00:00Z'),
        itemcf: meta('v1', 'fpA', '2025-12-31T23:00:00Z'),
        content: meta('v3', 'fpGone', '2026-01-01T00:00:00Z'),
        hybrid: meta('v8', 'fpB', '2026-01-01T00:00:00Z'),
      },
      newestRating: new Map([['fpA', 120], ['fpB', 220]]),
      streamedAfter: (ms) => {
        asked.push(ms);
        return streamed.filter((t) => t > ms).length;
      },
      now: Date.parse('2026-01-01T00:01:30Z'),
    });
    assert.deepEqual(Object.keys(f).sort(), ['als', 'content', 'itemcf'], 'a model whose metadata is of another version is left out');
    assert.deepEqual([f.als!.version, f.als!.age_seconds, f.als!.ratings_not_seen, f.als!.dataset], ['v2', 90, 2, 'lake']);
    assert.deepEqual([f.itemcf!.age_seconds, f.itemcf!.ratings_not_seen], [3690, 4]);
    assert.equal(f.content!.ratings_not_seen, null, 'trained on data this server never served: unknown');
    assert.deepEqual(asked.sort(), [120, 220], 'one count per training data');
    assert.equal(mostUnseen(f), 4);
    assert.equal(mostUnseen({}), null);
  });
});
