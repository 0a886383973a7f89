import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError, type EventCodec } from '../../src/events/codec.js';
import { MAX_EVENT_TIME_MS } from '../../src/events/event-time.js';
import { ratingCodec } from '../../src/movies/rating-event.js';
import { clickCodec } from '../../src/pipelines/clicks/click-event.js';
import { commerceSourceCodecs } from '../../src/pipelines/commerce/commerce-events.js';
import { decodeFinalBin } from '../../src/pipelines/clicks/clicks-lake.js';
import { decodeFinalMetrics } from '../../src/pipelines/ratings/ratings-lake.js';

const codecs: [string, EventCodec<unknown>, (t: string) => string][] = [
  ['rating', ratingCodec, (t) => `{"userId":1,"movieId":2,"rating":3.5,"timestamp":${t}}`],
  ['click', clickCodec, (t) => `{"type":"cheers","ts":${t}}`],
  ['searches event', commerceSourceCodecs.searches, (t) => `{"event_id":1,"customer_id":2,"timestamp":${t},"query":"lamp","results_count":3}`],
];

describe('event times', () => {
  it('every source codec takes times up to the end of year 9998 and refuses later ones, naming the field', () => {
    for (const [name, codec, text] of codecs) {
      assert.ok(codec.decode(text(String(MAX_EVENT_TIME_MS))), `${name} at the bound`);
      assert.ok(codec.decode(text('0')), `${name} at 1970`);
      // Past what a Date holds too: the window's ISO string would throw in the middle of a run.
      for (const t of [MAX_EVENT_TIME_MS + 1, 253_402_300_799_999, 999_999_999_999_999, 8.64e15 + 1]) {
        assert.throws(() => codec.decode(text(String(t))), (err: unknown) => err instanceof DecodeError && /before 9999-01-01/.test(err.message), `${name} ${t}`);
      }
    }
  });

  it('the click text fast path declines what JSON.parse refuses (a leading zero)', () => {
    assert.throws(() => clickCodec.decode('{"type":"cheers","ts":0123}'), /not valid JSON/);
    assert.deepEqual(clickCodec.decode('{"type":"hate","ts":0}'), { type: 'hate', ts: 0 });
  });

  it('the lake decoders keep a final window starting within the same bound and skip one starting past it', () => {
    const rec = (value: object) => ({ topic: 'out', partition: 0, offset: 0, timestamp: 0, key: null, headers: null, value: JSON.stringify(value) });
    const finalAt = (startMs: number, extra: object) => rec({
      window_start: new Date(startMs).toISOString(), window_end: new Date(startMs + 60_000).toISOString(), window_type: 'tumbling_1min',
      count: 1, late_events: 0, final: true, processing_time: '2025-11-11T00:12:00.123Z', ...extra,
    });
    const lastStart = MAX_EVENT_TIME_MS - 59_999;
    const ratings = { avg_rating: 3.5, p50_rating: 3.5, p95_rating: 5, top_movies: [], genres: {} };
    const clicks = { cheers: 1, hate: 0 };
    assert.equal(decodeFinalMetrics(finalAt(lastStart, ratings))?.window_start, '9998-12-31T23:59:00.000Z');
    assert.equal(decodeFinalBin(finalAt(lastStart, clicks))?.window_start, '9998-12-31T23:59:00.000Z');
    assert.equal(decodeFinalMetrics(finalAt(MAX_EVENT_TIME_MS + 1, ratings)), null);
    assert.equal(decodeFinalBin(finalAt(MAX_EVENT_TIME_MS + 1, clicks)), null);
  });
});
