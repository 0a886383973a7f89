/** Runs SQL in an in-memory DuckDB: the reference our quantile definition must agree with. */
import { DuckDBInstance } from '@duckdb/node-api';

export async function queryDuckDB(statements: readonly string[]): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  try {
    let rows: Record<string, unknown>[] = [];
    for (const sql of statements) rows = (await con.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
    return rows;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** SQL select-list items `quantile_disc(col, q) AS "p50"`, …, with q written as a decimal literal. */
export function quantileDiscColumns(column: string, quantiles: readonly number[], key: (q: number) => string): string {
  return quantiles.map((q) => `quantile_disc(${column}, ${String(q)}) AS "${key(q)}"`).join(', ');
}
