import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPipelinesLake as openLakeQuery } from '../../src/pipelines/registry.js';
import { lakeDir } from '../../src/lake/lake-table.js';
import { decodeFinalMetrics, ratingsAggSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { tempDir } from '../helpers/tmp.js';

function metrics(start: string, type: 'tumbling_1min' | 'sliding_5min', final: boolean, count: number) {
  const s = Date.parse(start);
  return {
    window_start: new Date(s).toISOString(),
    window_end: new Date(s + (type === 'tumbling_1min' ? 60_000 : 300_000)).toISOString(),
    window_type: type,
    count,
    avg_rating: 3.5,
    p50_rating: 3.5,
    p95_rating: 5,
    top_movies: [{ movieId: 1, title: 'Toy Story (1995)', count: 9, avg_rating: 4.1, score: 36.9 }],
    genres: { Drama: { count: 120, avg_rating: 3.6 } },
    late_events: final ? 2 : 0,
    final,
    processing_time: '2025-11-11T00:12:00.123Z',
  };
}

describe('lake sink: ratings/agg', () => {
  it('writes only final window results, into window_type/date partitions', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      // Started before the processor created its topic: nothing to do yet, nothing committed.
      const early = ratingsAggSink({ log, dataDir: dir });
      assert.equal(await early.runOnce(), 0);
      await early.close();
      await log.ensureTopic('metrics', { partitions: 1 });
      const records = [
        metrics('2025-11-10T23:58:00Z', 'tumbling_1min', false, 10),
        metrics('2025-11-10T23:58:00Z', 'tumbling_1min', true, 11),
        { ...metrics('2025-11-10T23:59:00Z', 'tumbling_1min', true, 12), avg_rating: null, p50_rating: null, p95_rating: null },
        metrics('2025-11-11T00:00:00Z', 'tumbling_1min', false, 13),
        metrics('2025-11-11T00:00:00Z', 'tumbling_1min', true, 14),
        metrics('2025-11-10T23:56:00Z', 'sliding_5min', true, 15),
        metrics('2025-11-11T00:01:00Z', 'sliding_5min', true, 16),
        metrics('2025-11-11T00:02:00Z', 'sliding_5min', false, 17),
      ];
      const producer = log.producer();
      await producer.send('metrics', [
        ...records.map((m) => ({ key: m.window_type, value: JSON.stringify(m) })),
        { value: 'not json' },
        { value: JSON.stringify({ final: true, window_type: 'tumbling_1min' }) },
      ]);
      const sink = ratingsAggSink({ log, dataDir: dir });
      assert.equal(await sink.runOnce(), 5);
      assert.equal(sink.stats().recordsSkipped, 5);
      await sink.close();

      const root = join(lakeDir(dir), 'ratings', 'agg');
      const dirs = readdirSync(root).flatMap((t) => readdirSync(join(root, t)).map((d) => `${t}/${d}`));
      assert.deepEqual(dirs.sort(), [
        'window_type=sliding_5min/date=2025-11-10',
        'window_type=sliding_5min/date=2025-11-11',
        'window_type=tumbling_1min/date=2025-11-10',
        'window_type=tumbling_1min/date=2025-11-11',
      ]);

      const lake = await openLakeQuery(dir);
      try {
        const rows = await lake.query('SELECT * FROM ratings_agg ORDER BY window_type, window_start');
        assert.deepEqual(
          rows.map((r) => [r.window_type, r.date, r.window_start, r.count]),
          [
            ['sliding_5min', '2025-11-10', '2025-11-10T23:56:00.000Z', 15],
            ['sliding_5min', '2025-11-11', '2025-11-11T00:01:00.000Z', 16],
            ['tumbling_1min', '2025-11-10', '2025-11-10T23:58:00.000Z', 11],
            ['tumbling_1min', '2025-11-10', '2025-11-10T23:59:00.000Z', 12],
            ['tumbling_1min', '2025-11-11', '2025-11-11T00:00:00.000Z', 14],
          ],
        );
        const first = rows[0]!;
        assert.equal(first.window_end, '2025-11-11T00:01:00.000Z');
        assert.equal(first.avg_rating, 3.5);
        assert.equal(first.p95_rating, 5);
        assert.equal(first.late_events, 2);
        assert.equal(first.processing_time, '2025-11-11T00:12:00.123Z');
        assert.deepEqual(JSON.parse(first.top_movies as string), records[5]!.top_movies);
        assert.deepEqual(JSON.parse(first.genres as string), records[5]!.genres);
        assert.deepEqual(
          [rows[3]!.avg_rating, rows[3]!.p50_rating, rows[3]!.p95_rating],
          [null, null, null],
        );
        // The JSON columns can be taken apart in SQL.
        const [g] = await lake.query(`SELECT sum((genres->'$.Drama.count')::INTEGER) AS drama FROM ratings_agg`);
        assert.equal(g!.drama, 600);
      } finally {
        lake.close();
      }
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('decodes a final result and skips partial, malformed and non-final ones', () => {
    const rec = (value: string) => ({ topic: 'metrics', partition: 0, offset: 0, timestamp: 0, key: null, headers: null, value });
    const row = decodeFinalMetrics(rec(JSON.stringify({ ...metrics('2025-11-10T07:01:00Z', 'tumbling_1min', true, 523), avg_rating: null })));
    assert.equal(row?.window_start, '2025-11-10T07:01:00.000Z');
    assert.equal(row?.avg_rating, null);
    assert.equal(decodeFinalMetrics(rec(JSON.stringify(metrics('2025-11-10T07:01:00Z', 'tumbling_1min', false, 1)))), null);
    assert.equal(decodeFinalMetrics(rec(JSON.stringify({ ...metrics('2025-11-10T07:01:00Z', 'tumbling_1min', true, 1), window_type: '../x' }))), null);
    assert.equal(decodeFinalMetrics(rec('{')), null);
  });
});
