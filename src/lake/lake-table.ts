import { join, resolve } from 'node:path';

/** Column types a lake table may use (DuckDB names; Parquet types follow from them). */
export type LakeColumnType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR' | 'BOOLEAN' | 'TIMESTAMP';

/** A cell value. TIMESTAMP columns take epoch milliseconds or an ISO-8601 string. */
export type LakeValue = number | string | boolean | null;

export interface LakeColumn<T> {
  name: string;
  type: LakeColumnType;
  get: (row: T) => LakeValue;
}

/** Types a Hive partition key is read back as (DuckDB's hive_types). */
export type LakePartitionType = 'VARCHAR' | 'DATE' | 'INTEGER' | 'BIGINT';

export interface LakePartitionKey<T> {
  name: string;
  /** The directory value, e.g. `2025-11-10` for `date=2025-11-10`; must be a plain path segment. */
  get: (row: T) => string;
  /** How queries see the key; default VARCHAR. */
  type?: LakePartitionType;
}

/**
 * A table of the Parquet lake: a directory of Hive-partitioned Parquet files under
 * `<data-dir>/lake/<path>`. Partition keys live in the directory names only, not in the files.
 */
export interface LakeTable<T> {
  /** Relative to `<data-dir>/lake`, e.g. `ratings/raw`. */
  path: string;
  columns: LakeColumn<T>[];
  partitionBy: LakePartitionKey<T>[];
}

/** A table's location and column types without the getters: what readers of its files need. */
export interface LakeTableShape {
  path: string;
  columns: readonly { name: string; type: LakeColumnType }[];
  partitionBy: readonly { name: string; type?: LakePartitionType }[];
}

/** A table whose getters come by column name: the shape is declared once, as data, elsewhere. */
export function lakeTable<T>(
  shape: LakeTableShape,
  getters: Record<string, (row: T) => LakeValue>,
  keys: Record<string, (row: T) => string>,
): LakeTable<T> {
  const getter = <G>(from: Record<string, G>, name: string): G => {
    const g = from[name];
    if (!g) throw new Error(`lake table ${shape.path}: no getter for ${name}`);
    return g;
  };
  return {
    path: shape.path,
    columns: shape.columns.map((c) => ({ name: c.name, type: c.type, get: getter(getters, c.name) })),
    partitionBy: shape.partitionBy.map((k) => ({ name: k.name, type: k.type, get: getter(keys, k.name) })),
  };
}

/** The lake's root inside a data dir. */
export function lakeDir(dataDir: string): string {
  return resolve(dataDir, 'lake');
}

/** A table's root directory. */
export function lakeTableDir(dataDir: string, table: Pick<LakeTable<never>, 'path'>): string {
  return join(lakeDir(dataDir), ...table.path.split('/').filter((s) => s.length > 0));
}

/** Data file names: `part-p<source partition>-o<first source offset>.parquet`. */
export const LAKE_FILE_RE = /^part-p(\d+)-o(\d+)\.parquet$/;

export function lakeFileName(partition: number, offset: number): string {
  return `part-p${partition}-o${offset}.parquet`;
}

/** Suffix of files being written; never matched by the `*.parquet` globs readers use. */
export const LAKE_TEMP_SUFFIX = '.tmp';
