import { join } from 'node:path';
import { quotedIdentifier, quotedString } from '@duckdb/node-api';
import { hasParquet, jsonSafe, openMemoryDuckDB } from './duckdb-common.js';
import { lakeTableDir, type LakeTable, type LakeTableShape } from './lake-table.js';

export type LakeRow = Record<string, unknown>;

export interface LakeQueryResult {
  /** Column names in order (duplicates made unique, as in the row objects). */
  columns: string[];
  rows: LakeRow[];
}

export interface LakeQuery {
  /** Runs SQL (several statements: the last one's rows) and returns JSON-safe rows. */
  query(sql: string): Promise<LakeRow[]>;
  /** Like query, with the column names (also when there are no rows). */
  run(sql: string): Promise<LakeQueryResult>;
  close(): void;
}

/**
 * An in-memory DuckDB with one view per lake table (the registered pipelines' views: see
 * `openPipelinesLake` in pipelines/registry.ts) over its Parquet files, Hive keys included. A table with no files yet is an empty view with the
 * same columns; it switches to the files as soon as there are some.
 */
export async function openLakeQuery(dataDir: string, views: Record<string, LakeTable<never>>): Promise<LakeQuery> {
  const { instance, connection } = await openMemoryDuckDB();
  /** Views still empty, by name: looked at again before every query. */
  const empty = new Map<string, LakeTable<never>>();
  const defineView = async (name: string, table: LakeTable<never>) => {
    const dir = lakeTableDir(dataDir, table);
    const hasFiles = hasParquet(dir);
    await connection.run(`CREATE OR REPLACE VIEW ${quotedIdentifier(name)} AS ${lakeViewSql(table, hasFiles ? dir : null)}`);
    if (hasFiles) empty.delete(name);
    else empty.set(name, table);
  };
  try {
    for (const [name, table] of Object.entries(views)) await defineView(name, table);
  } catch (err) {
    connection.closeSync();
    instance.closeSync();
    throw err;
  }
  let closed = false;

  const run = async (sql: string): Promise<LakeQueryResult> => {
    if (closed) throw new Error('lake query: closed');
    for (const [name, table] of [...empty]) if (hasParquet(lakeTableDir(dataDir, table))) await defineView(name, table);
    // The node API fails with a bare "Error in native callback" on input without a statement.
    if (sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\/|[\s;]/g, '') === '') throw new Error('no SQL statement to run');
    // With values given (none), the node API runs every statement and returns the last result;
    // without, it returns the first statement's.
    const reader = await connection.runAndReadAll(sql, []);
    return { columns: reader.deduplicatedColumnNames(), rows: reader.convertRowObjects(jsonSafe) };
  };
  return {
    run,
    query: async (sql) => (await run(sql)).rows,
    close() {
      if (closed) return;
      closed = true;
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The view over a table's files (typed Hive keys), or an empty one with the same columns when dir is null. */
export function lakeViewSql(table: LakeTableShape, dir: string | null): string {
  const keys = table.partitionBy.map((k) => ({ name: k.name, type: k.type ?? 'VARCHAR' }));
  const all = [...table.columns.map((c) => ({ name: c.name, type: c.type as string })), ...keys];
  if (dir === null) return `SELECT ${all.map((c) => `CAST(NULL AS ${c.type}) AS ${quotedIdentifier(c.name)}`).join(', ')} WHERE false`;
  const hiveTypes = keys.map((k) => `${quotedString(k.name)}: ${k.type}`).join(', ');
  const glob = quotedString(join(dir, '**', '*.parquet'));
  const options = keys.length > 0 ? `, hive_partitioning = true, hive_types = {${hiveTypes}}` : ', hive_partitioning = false';
  return `SELECT ${all.map((c) => quotedIdentifier(c.name)).join(', ')} FROM read_parquet(${glob}${options})`;
}

/** Whether dir holds a Parquet file at any depth. */
