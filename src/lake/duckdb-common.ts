/** What every DuckDB user of the lake shares: an in-memory database, is there anything to read, JSON-safe values. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBConnection,
  JsonDuckDBValueConverter,
  doubleFromDecimalValue,
  type DuckDBTimestampValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';

/** An in-memory DuckDB and a connection to it (the instance is closed again if connecting fails). */
export async function openMemoryDuckDB(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    return { instance, connection: await instance.connect() };
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

/** Whether a directory holds a Parquet file at any depth (read_parquet fails on an empty glob). */
export function hasParquet(dir: string): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith('.parquet')) return true;
    if (e.isDirectory() && hasParquet(join(dir, e.name))) return true;
  }
  return false;
}

/**
 * DuckDB's JSON converter, except: integers become numbers when they are safe integers (strings
 * otherwise), DECIMALs numbers, and TIMESTAMPs ISO-8601 strings in UTC (`…Z`).
 */
export const jsonSafe: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM: {
      const n = value as bigint;
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    case DuckDBTypeId.DECIMAL:
      return doubleFromDecimalValue(value);
    case DuckDBTypeId.TIMESTAMP: {
      const ts = value as DuckDBTimestampValue;
      return ts.isFinite ? new Date(Number(ts.micros / 1000n)).toISOString() : String(ts);
    }
    default:
      return JsonDuckDBValueConverter(value, type, converter);
  }
};
