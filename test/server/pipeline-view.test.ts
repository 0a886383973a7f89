/**
 * The server's view of a pipeline follows its output topic even when that topic is created after
 * the server started (a fresh data dir: `serve` first, `process` later), reading each record once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { ratingsDeclaration } from '../../src/pipelines/ratings/ratings-declaration.js';
import type { MetricsRecord } from '../../src/pipelines/ratings/ratings-contract.js';
import { PipelineView } from '../../src/server/pipeline-view.js';
import { waitFor } from '../helpers/sse-client.js';
import { tempDir } from '../helpers/tmp.js';

function tumblingFinal(minute: number, count: number): MetricsRecord {
  const start = Date.UTC(2025, 10, 10, 7, minute);
  return {
    window_start: new Date(start).toISOString(),
    window_end: new Date(start + 60_000).toISOString(),
    window_type: 'tumbling_1min',
    count,
    avg_rating: 3.5,
    p50_rating: 3.5,
    p95_rating: 5,
    p99_rating: 5,
    top_movies: [],
    genres: {},
    late_events: 0,
    final: true,
    processing_time: new Date().toISOString(),
  };
}

describe('pipeline view', () => {
  it('follows an output topic created after it started, counting every record once', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    const view = new PipelineView(ratingsDeclaration, { log, healthEveryMs: 50 });
    try {
      view.start();
      assert.equal(await log.topic('metrics'), null);
      // Let the view poll a topic that does not exist yet (no timing is asserted: these pauses
      // only make it likely that the view sees the empty topic, and then the first record, within
      // one of its reads — where a view that seeks back to the start once it sees the topic read
      // that record twice).
      await sleep(230);
      // As under `up`: the topic is created empty while other topics take writes (the generator's).
      await log.ensureTopic('metrics', { partitions: 1 });
      await log.producer().send('ratings', [{ value: '{}' }]);
      await sleep(25);
      const send = (r: MetricsRecord) => log.producer().send('metrics', [{ key: r.window_type, value: JSON.stringify(r) }]);
      await send(tumblingFinal(0, 10));
      await waitFor(() => view.resultsReceived >= 1, 10_000, 'the first record');
      await send(tumblingFinal(1, 20));
      await send(tumblingFinal(2, 30));
      await waitFor(() => view.resultsReceived >= 3, 10_000, 'the next records');
      await waitFor(() => view.health().results_received >= 3, 10_000, 'a health sample');
      assert.equal(view.resultsReceived, 3, 'each record applied once');
      assert.equal(view.eventsTotal, 60);
      assert.deepEqual(view.historyOf('tumbling_1min', 10).map((r) => r.count), [10, 20, 30]);
    } finally {
      await view.stop();
      await log.close();
      cleanup();
    }
  });

  it('starts from the recent records of a topic that exists, then follows it', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    const view = new PipelineView(ratingsDeclaration, { log, backfillRecords: 2 });
    try {
      await log.producer().send('metrics', [0, 1, 2].map((m) => ({ value: JSON.stringify(tumblingFinal(m, 10 + m)) })));
      view.start();
      await waitFor(() => view.resultsReceived >= 2, 10_000, 'the backfill');
      await log.producer().send('metrics', [{ value: JSON.stringify(tumblingFinal(3, 13)) }]);
      await waitFor(() => view.resultsReceived >= 3, 10_000, 'the new record');
      assert.deepEqual(view.historyOf('tumbling_1min', 10).map((r) => r.count), [11, 12, 13], 'the last 2 records, then the new one');
    } finally {
      await view.stop();
      await log.close();
      cleanup();
    }
  });
});
