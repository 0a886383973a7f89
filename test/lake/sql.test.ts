import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sqlCommand } from '../../src/cli/commands/sql.js';
import { UserError } from '../../src/util/errors.js';
import { openPipelinesLake as openLakeQuery } from '../../src/pipelines/registry.js';
import { ratingsRawSink } from '../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { ratingCodec } from '../../src/movies/rating-event.js';
import { tempDir } from '../helpers/tmp.js';

const RAW_COLUMNS = [
  ['userId', 'INTEGER'],
  ['movieId', 'INTEGER'],
  ['rating', 'DOUBLE'],
  ['timestamp', 'BIGINT'],
  ['event_time', 'TIMESTAMP'],
  ['source_partition', 'INTEGER'],
  ['source_offset', 'BIGINT'],
  ['date', 'DATE'],
  ['hour', 'INTEGER'],
];

async function sql(args: string[]): Promise<string> {
  let out = '';
  await sqlCommand((text) => (out += text)).parseAsync(['node', 'sql', ...args]);
  return out;
}

async function writeRatings(dir: string, count: number): Promise<void> {
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    await log.ensureTopic('ratings', { partitions: 4 });
    const base = Date.parse('2025-11-10T07:00:00Z');
    await log.producer().send(
      'ratings',
      Array.from({ length: count }, (_, i) => ({
        key: String(1 + (i % 10)),
        value: ratingCodec.encode({ userId: 1 + (i % 10), movieId: 1 + (i % 3), rating: 4, timestamp: base + i * 60_000 }),
      })),
    );
    const sink = ratingsRawSink({ log, dataDir: dir });
    await sink.runOnce();
    await sink.close();
  } finally {
    await log.close();
  }
}

describe('lake queries', () => {
  it('has both views, with their columns and no rows, on a fresh data dir', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const lake = await openLakeQuery(join(dir, 'not-created-yet'));
      try {
        const raw = await lake.query('DESCRIBE ratings_raw');
        assert.deepEqual(
          raw.map((c) => [c.column_name, c.column_type]),
          RAW_COLUMNS,
        );
        const agg = await lake.query('DESCRIBE ratings_agg');
        assert.deepEqual(
          agg.map((c) => c.column_name),
          ['window_start', 'window_end', 'count', 'avg_rating', 'p50_rating', 'p95_rating', 'late_events', 'processing_time', 'top_movies', 'genres', 'window_type', 'date'],
        );
        assert.deepEqual(await lake.query('SELECT count(*) AS n FROM ratings_raw'), [{ n: 0 }]);
        assert.deepEqual(await lake.query('SELECT count(*) AS n FROM ratings_agg'), [{ n: 0 }]);
      } finally {
        lake.close();
      }
    } finally {
      cleanup();
    }
  });

  it('sees files written after it was opened, with the same columns', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const lake = await openLakeQuery(dir);
      try {
        assert.deepEqual(await lake.query('SELECT count(*) AS n FROM ratings_raw'), [{ n: 0 }]);
        await writeRatings(dir, 150);
        assert.deepEqual(await lake.query('SELECT count(*) AS n FROM ratings_raw'), [{ n: 150 }]);
        const raw = await lake.query('DESCRIBE ratings_raw');
        assert.deepEqual(
          raw.map((c) => [c.column_name, c.column_type]),
          RAW_COLUMNS,
        );
      } finally {
        lake.close();
      }
    } finally {
      cleanup();
    }
  });

  it('returns JSON-safe values: integers of any width as numbers, the last statement’s rows', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const lake = await openLakeQuery(dir);
      try {
        const [row] = await lake.query(
          "SELECT 42::BIGINT AS b, 7::HUGEINT AS h, 1.25 AS d, 9007199254740993::BIGINT AS big, DATE '2025-11-10' AS day, [1, 2]::BIGINT[] AS l, NULL AS z",
        );
        assert.deepEqual(row, { b: 42, h: 7, d: 1.25, big: '9007199254740993', day: '2025-11-10', l: [1, 2], z: null });
        assert.deepEqual(await lake.query('CREATE TEMP TABLE t AS SELECT 1 AS x; SELECT x + 1 AS y FROM t'), [{ y: 2 }]);
      } finally {
        lake.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe('streamrec sql', () => {
  it('prints JSON lines or a table', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await writeRatings(dir, 150);
      const json = await sql(['SELECT date, hour, count(*) AS n FROM ratings_raw GROUP BY ALL ORDER BY ALL', '--json', '--data-dir', dir]);
      assert.deepEqual(
        json.trim().split('\n').map((l) => JSON.parse(l) as unknown),
        [
          { date: '2025-11-10', hour: 7, n: 60 },
          { date: '2025-11-10', hour: 8, n: 60 },
          { date: '2025-11-10', hour: 9, n: 30 },
        ],
      );
      const table = await sql(['SELECT movieId, count(*) AS n, avg(rating) AS avg FROM ratings_raw GROUP BY ALL ORDER BY ALL', '--data-dir', dir]);
      assert.equal(table, ['movieId   n  avg', '-------  --  ---', '      1  50    4', '      2  50    4', '      3  50    4', '(3 rows)', ''].join('\n'));
      const none = await sql(['SELECT * FROM ratings_agg', '--data-dir', dir]);
      assert.match(none, /^window_start\s+window_end\s+count.*\n-+.*\n\(0 rows\)\n$/);
    } finally {
      cleanup();
    }
  });

  it('answers a SQL error with one line', async () => {
    const { dir, cleanup } = tempDir();
    try {
      for (const [query, message] of [
        ['SELECT nope FROM ratings_raw', /^sql: Binder Error: Referenced column "nope" not found/],
        ['SELEC 1', /^sql: Parser Error: syntax error at or near "SELEC"$/],
        ['SELECT * FROM no_such_table', /^sql: Catalog Error: Table with name no_such_table does not exist/],
        [' ; -- nothing', /^sql: no SQL statement to run$/],
      ] as const) {
        await assert.rejects(sql([query, '--data-dir', dir]), (err: unknown) => {
          assert.ok(err instanceof UserError);
          assert.match(err.message, message);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        });
      }
    } finally {
      cleanup();
    }
  });
});
