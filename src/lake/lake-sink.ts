import { mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTimestampValue,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
  quotedIdentifier,
  quotedString,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Consumer, EventLog, LogRecord, TopicPartitionOffset } from '../log/types.js';
import { LAKE_FILE_RE, LAKE_TEMP_SUFFIX, lakeFileName, lakeTableDir, type LakeColumn, type LakeColumnType, type LakeTable, type LakeValue } from './lake-table.js';
import { fsyncPath } from '../util/fsync.js';
import type { LakeSinkTarget } from './lake-reset.js';

export interface LakeSinkOptions<T> {
  log: EventLog;
  dataDir: string;
  topic: string;
  /** The consumer group; its committed offsets say which rows the lake holds. One writer per group. */
  group: string;
  table: LakeTable<T>;
  /** A record's row, or null to skip it. */
  decode: (record: LogRecord) => T | null;
  /** Flush once this many rows are buffered. Default 200,000. */
  flushRows?: number;
  /** In `run`, flush at most this long after the first unflushed record. Default 10 s. */
  flushIntervalMs?: number;
  /** Records per poll. Default 10,000. */
  pollRecords?: number;
  /**
   * Called after a flush's files are in place and before its offsets are committed (a test hook:
   * throwing here leaves exactly what a crash at that moment leaves).
   */
  beforeCommit?: (files: string[]) => void | Promise<void>;
}

export interface LakeSinkStats {
  rowsWritten: number;
  recordsSkipped: number;
  filesWritten: number;
  flushes: number;
  /** Files removed at start: written by a flush that never committed. */
  filesRecovered: number;
}

interface PartitionBuffer<T> {
  /** Source offset of the first buffered row: names this flush's files for the partition. */
  start: number;
  rows: T[];
}

const BUFFER_TABLE = 'lake_buffer';

/**
 * Follows one topic with a consumer group and writes its rows to a lake table as Parquet.
 *
 * Exactly once, across crashes: rows are buffered per source partition; a flush writes, for each
 * source partition p whose buffered rows start at offset o, one file `part-p<p>-o<o>.parquet` per
 * Hive partition (to a temp name, fsynced, renamed), then commits the group's offsets. At start,
 * before reading, every file of the table with o ≥ the group's committed offset for p is deleted:
 * it came from a flush that did not commit, and reading resumes at that committed offset, so
 * those rows are written again. A group with no commit for p starts at the earliest offset and
 * so deletes (and rewrites) all of p's files.
 */
export class LakeSink<T> {
  private readonly flushRows: number;
  private readonly flushIntervalMs: number;
  private readonly pollRecords: number;
  private readonly root: string;
  private consumer: Consumer | null = null;
  private duck: { instance: DuckDBInstance; connection: DuckDBConnection } | null = null;
  private readonly buffers = new Map<number, PartitionBuffer<T>>();
  private buffered = 0;
  /** When the first record not yet committed was read (null: nothing to commit). */
  private dirtySince: number | null = null;
  private busy = false;
  private closed = false;
  private readonly counters: LakeSinkStats = { rowsWritten: 0, recordsSkipped: 0, filesWritten: 0, flushes: 0, filesRecovered: 0 };

  constructor(private readonly options: LakeSinkOptions<T>) {
    this.flushRows = options.flushRows ?? 200_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 10_000;
    this.pollRecords = options.pollRecords ?? 10_000;
    if (!(this.flushRows >= 1)) throw new Error(`lake sink: flushRows must be at least 1, got ${this.flushRows}`);
    if (options.table.columns.length === 0) throw new Error(`lake sink: table ${options.table.path} has no columns`);
    this.root = lakeTableDir(options.dataDir, options.table);
  }

  stats(): LakeSinkStats {
    return { ...this.counters };
  }

  /** The topic, group and table this sink joins (`streamrec reset` rewinds the sinks over a pipeline's outputs). */
  get target(): LakeSinkTarget {
    return { topic: this.options.topic, group: this.options.group, table: this.options.table.path };
  }

  /** Reads everything currently in the topic, writes it, commits; returns the rows written. */
  async runOnce(): Promise<number> {
    return this.exclusive(async () => {
      const consumer = await this.start();
      const before = this.counters.rowsWritten;
      for (;;) {
        const records = await consumer.poll({ maxRecords: this.pollSize(), timeoutMs: 0 });
        if (records.length === 0) break;
        this.add(records);
        if (this.buffered >= this.flushRows) await this.flush();
      }
      await this.flush();
      return this.counters.rowsWritten - before;
    });
  }

  /** Follows the topic until `signal` aborts, flushing by size and age; flushes once more on abort. */
  async run(signal: AbortSignal): Promise<void> {
    return this.exclusive(async () => {
      const consumer = await this.start();
      while (!signal.aborted) {
        const waitMs = this.dirtySince === null ? 200 : Math.max(0, Math.min(200, this.dirtySince + this.flushIntervalMs - Date.now()));
        const records = await consumer.poll({ maxRecords: this.pollSize(), timeoutMs: waitMs });
        this.add(records);
        if (this.buffered >= this.flushRows || (this.dirtySince !== null && Date.now() - this.dirtySince >= this.flushIntervalMs)) {
          await this.flush();
        }
      }
      await this.flush();
    });
  }

  /** Releases the consumer and DuckDB; buffered rows not flushed are dropped (they are re-read). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer?.close();
    this.consumer = null;
    if (this.duck) {
      this.duck.connection.closeSync();
      this.duck.instance.closeSync();
      this.duck = null;
    }
  }

  private async exclusive<R>(work: () => Promise<R>): Promise<R> {
    if (this.closed) throw new Error(`lake sink ${this.options.table.path}: closed`);
    if (this.busy) throw new Error(`lake sink ${this.options.table.path}: already running`);
    this.busy = true;
    try {
      return await work();
    } finally {
      this.busy = false;
    }
  }

  /** Records to ask for: no more than fill the buffer, so a flush holds at most flushRows rows. */
  private pollSize(): number {
    return Math.max(1, Math.min(this.pollRecords, this.flushRows - this.buffered));
  }

  /** Removes what an uncommitted flush left, then opens the consumer at the committed offsets. */
  private async start(): Promise<Consumer> {
    if (this.consumer) return this.consumer;
    const { log, group, topic } = this.options;
    const committed = new Map((await log.committed(group, topic)).map((c) => [c.partition, c.offset]));
    for (const file of walkFiles(this.root)) {
      const name = basename(file);
      const m = LAKE_FILE_RE.exec(name);
      const stale = name.endsWith(LAKE_TEMP_SUFFIX) || (m !== null && Number(m[2]) >= (committed.get(Number(m[1])) ?? 0));
      if (stale) {
        unlinkSync(file);
        this.counters.filesRecovered++;
      }
    }
    this.consumer = log.consumer({ group, topics: [topic] });
    return this.consumer;
  }

  private add(records: LogRecord[]): void {
    if (records.length === 0) return;
    this.dirtySince ??= Date.now();
    for (const record of records) {
      const row = this.options.decode(record);
      if (row === null) {
        this.counters.recordsSkipped++;
        continue;
      }
      let buf = this.buffers.get(record.partition);
      if (!buf) {
        buf = { start: record.offset, rows: [] };
        this.buffers.set(record.partition, buf);
      }
      buf.rows.push(row);
      this.buffered++;
    }
  }

  /** Writes the buffered rows and commits the offsets read; returns the rows written. */
  private async flush(): Promise<number> {
    if (this.dirtySince === null) return 0;
    const consumer = this.consumer!;
    // Everything read so far is buffered (or skipped): these are the offsets this flush covers.
    const positions: TopicPartitionOffset[] = consumer.positions();
    const files: string[] = [];
    const dirs = new Set<string>();
    for (const [partition, buf] of [...this.buffers].sort((a, b) => a[0] - b[0])) {
      for (const [dir, rows] of this.groupByHivePartition(buf.rows)) {
        mkdirSync(dir, { recursive: true });
        const file = join(dir, lakeFileName(partition, buf.start));
        await this.writeParquet(rows, `${file}${LAKE_TEMP_SUFFIX}`);
        fsyncPath(`${file}${LAKE_TEMP_SUFFIX}`);
        renameSync(`${file}${LAKE_TEMP_SUFFIX}`, file);
        files.push(file);
        dirs.add(dir);
      }
    }
    for (const dir of dirs) fsyncPath(dir);
    await this.options.beforeCommit?.(files);
    await consumer.commit(positions);
    const written = this.buffered;
    this.buffers.clear();
    this.buffered = 0;
    this.dirtySince = null;
    this.counters.rowsWritten += written;
    this.counters.filesWritten += files.length;
    this.counters.flushes++;
    return written;
  }

  /** Rows by destination directory, keeping offset order within each. */
  private groupByHivePartition(rows: T[]): Map<string, T[]> {
    const keys = this.options.table.partitionBy;
    const byValues = new Map<string, T[]>();
    for (const row of rows) {
      let k = '';
      for (const key of keys) k += `${key.get(row)}\u0000`;
      let list = byValues.get(k);
      if (!list) byValues.set(k, (list = []));
      list.push(row);
    }
    const out = new Map<string, T[]>();
    for (const [k, list] of byValues) {
      const values = k.split('\u0000');
      out.set(join(this.root, ...keys.map((key, i) => `${key.name}=${hiveValue(key.name, values[i]!)}`)), list);
    }
    return out;
  }

  private async writeParquet(rows: T[], path: string): Promise<void> {
    const connection = await this.connection();
    await connection.run(`DELETE FROM ${BUFFER_TABLE}`);
    const columns = this.options.table.columns;
    const types = columns.map((c) => DUCKDB_TYPES[c.type]);
    // Column-wise data chunks: several times faster than appending value by value.
    const appender = await connection.createAppender(BUFFER_TABLE);
    try {
      for (let i = 0; i < rows.length; i += CHUNK_ROWS) {
        const part = rows.slice(i, i + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(types, part.length);
        chunk.setColumns(columns.map((column) => part.map((row) => toDuckDB(column, row))));
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await connection.run(`COPY ${BUFFER_TABLE} TO ${quotedString(path)} (FORMAT parquet, COMPRESSION zstd)`);
  }

  private async connection(): Promise<DuckDBConnection> {
    if (this.duck) return this.duck.connection;
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const cols = this.options.table.columns.map((c) => `${quotedIdentifier(c.name)} ${c.type}`).join(', ');
    await connection.run(`CREATE TABLE ${BUFFER_TABLE} (${cols})`);
    this.duck = { instance, connection };
    return connection;
  }
}

/** DuckDB's vector size: the most rows a data chunk holds. */
const CHUNK_ROWS = 2048;

const DUCKDB_TYPES: Record<LakeColumnType, DuckDBType> = { BIGINT, INTEGER, DOUBLE, VARCHAR, BOOLEAN, TIMESTAMP };

function toDuckDB<T>(column: LakeColumn<T>, row: T): DuckDBValue {
  const v: LakeValue = column.get(row);
  if (v === null || v === undefined) return null;
  const bad = () => new Error(`lake column ${column.name} (${column.type}): cannot store ${JSON.stringify(v)}`);
  switch (column.type) {
    case 'INTEGER':
      if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2_147_483_647) throw bad();
      return v;
    case 'BIGINT':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad();
      return BigInt(v);
    case 'DOUBLE':
      if (typeof v !== 'number') throw bad();
      return v;
    case 'VARCHAR':
      return String(v);
    case 'BOOLEAN':
      if (typeof v !== 'boolean') throw bad();
      return v;
    case 'TIMESTAMP': {
      const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
      if (!Number.isFinite(ms)) throw bad();
      return new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);
    }
  }
}

function hiveValue(key: string, value: string): string {
  if (value === '' || value === '.' || value === '..' || /[/\\\0]/.test(value)) {
    throw new Error(`lake partition ${key}: ${JSON.stringify(value)} is not a valid directory name`);
  }
  return value;
}

/** Every file under dir (none if it does not exist). */
function walkFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(path));
    else out.push(path);
  }
  return out;
}

