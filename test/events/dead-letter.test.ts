import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { EventReader } from '../../src/events/event-reader.js';
import { ratingCodec } from '../../src/pipelines/ratings/rating-event.js';
import { tempDir } from '../helpers/tmp.js';

describe('malformed events', () => {
  it('go to <topic>.dlq with the reason and original bytes, are counted, and never stop the reader', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const badBytes = new Uint8Array([0xff, 0xfe, 0x7b]);
      await log.producer().send('ratings', [
        { value: '{"userId":1,"movieId":10,"rating":4.5,"timestamp":1700000000000}' },
        { value: '{"userId":1,"movieId":10,"rating":4.3,"timestamp":1700000000000}' },
        { value: 'not json' },
        { value: '{"userId":2,"movieId":10,"rating":3}' },
        { value: '{"userId":-1,"movieId":10,"rating":3,"timestamp":1}' },
        { value: badBytes },
        { value: '{"userId":3,"movieId":11,"rating":0.5,"timestamp":1700000000001}' },
      ]);
      const reader = new EventReader(log, log.consumer({ group: 'proc', topics: ['ratings'] }), ratingCodec);
      const batch = await reader.poll();
      assert.deepEqual(
        batch.events.map((e) => e.event),
        [
          { userId: 1, movieId: 10, rating: 4.5, timestamp: 1700000000000 },
          { userId: 3, movieId: 11, rating: 0.5, timestamp: 1700000000001 },
        ],
      );
      assert.equal(batch.rejected, 5);
      assert.equal(reader.deadLettered, 5);

      const dlq = await log.consumer({ group: 'inspect', topics: ['ratings.dlq'] }).poll();
      const reasons = dlq.map((r) => r.headers!.reason);
      assert.match(reasons[0]!, /^rating rating: must be a multiple of 0\.5/);
      assert.match(reasons[1]!, /^rating not valid JSON/);
      assert.match(reasons[2]!, /^rating timestamp: /);
      assert.match(reasons[3]!, /^rating userId: /);
      assert.match(reasons[4]!, /^rating invalid encoding/);
      assert.equal(dlq[1]!.value, 'not json', 'original text kept');
      assert.deepEqual(Buffer.from(dlq[4]!.value), Buffer.from(badBytes), 'original bytes kept');
      assert.deepEqual(dlq.map((r) => Number(r.headers!.source_offset)), [1, 2, 3, 4, 5]);
      assert.ok(dlq.every((r) => r.headers!.source_topic === 'ratings'));
    } finally {
      await log.close();
      cleanup();
    }
  });
});
