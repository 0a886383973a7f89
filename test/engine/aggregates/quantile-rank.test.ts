import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { quantileDiscIndex, quantileKey } from '../../../src/engine/aggregates/index.js';
import { queryDuckDB, quantileDiscColumns } from './duckdb.js';

// Including quantiles whose n·q is an integer that floating point misses (0.07 × 100, 0.29 × 100, …).
const TRICKY_QUANTILES = [
  0, 0.001, 0.01, 0.07, 0.1, 0.2, 0.25, 0.29, 0.3, 0.3333333333333333, 0.5, 0.57, 0.6, 0.7, 0.75, 0.9, 0.95, 0.99,
  0.999, 1,
];

describe('quantile_disc rank', () => {
  it('keys are p${q × 100} without floating-point noise', () => {
    assert.deepEqual(
      [0.5, 0.95, 0.99, 0.999, 0.07, 0, 1].map(quantileKey),
      ['p50', 'p95', 'p99', 'p99.9', 'p7', 'p0', 'p100'],
    );
  });

  it('equals DuckDB quantile_disc for every n in 1..400 (values 0..n-1, so the value is the index)', async () => {
    const rows = await queryDuckDB([
      `SELECT g, ${quantileDiscColumns('x', TRICKY_QUANTILES, quantileKey)}
         FROM (SELECT g, unnest(range(0, g)) AS x FROM range(1, 401) t(g))
        GROUP BY g ORDER BY g`,
    ]);
    assert.equal(rows.length, 400);
    for (const row of rows) {
      const n = Number(row.g);
      for (const q of TRICKY_QUANTILES) {
        assert.equal(quantileDiscIndex(n, q), Number(row[quantileKey(q)]), `n=${n} q=${q}`);
      }
    }
  });

  it('is exact for counts beyond 2^53 / 10^k (BigInt path)', () => {
    const n = 2 ** 52 + 1;
    assert.equal(quantileDiscIndex(n, 0.5), 2 ** 51); // ceil((2^52 + 1) / 2) − 1
    assert.equal(quantileDiscIndex(1e15, 0.07), 7e13 - 1);
  });
});
