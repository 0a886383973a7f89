import { mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { deadLetterRecord, deadLetterTopic } from '../events/dead-letter.js';
import { acquireLease, leaseKey, type Lease } from '../log/lease.js';
import type { Consumer, EventLog, LogRecord, LogValue, ProducerRecord, TopicPartitionOffset } from '../log/types.js';
import { LAKE_FILE_RE, LAKE_TEMP_SUFFIX, lakeFileName, lakeTableDir, type LakeColumn, type LakeColumnType, type LakeTable, type LakeValue } from './lake-table.js';
import { loadConfig } from '../util/config.js';
import { diskWriteProblem } from '../util/disk-errors.js';
import { filesUnder } from '../util/files-under.js';
import { fsyncPath } from '../util/fsync.js';
import type { LakeSinkTarget } from './lake-reset.js';

export interface LakeSinkOptions<T> {
  log: EventLog;
  dataDir: string;
  topic: string;
  /** The consumer group; its committed offsets say which rows the lake holds. One writer per group (a lease enforces it). */
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
   * The sink's lease (`lake:<group>`): `standby` false refuses when another sink of the group is
   * live instead of waiting for it; `ttlMs` defaults to STREAMREC_LEASE_TTL.
   */
  lease?: { ttlMs?: number; standby?: boolean };
  /** Where one-line notices go (waiting for another sink, a full or read-only disk). Default stderr. */
  notify?: (message: string) => void;
  /** While the disk is full or read-only, try again this often. Default 1 s. */
  diskRetryMs?: number;
  /**
   * Called after a flush's files are written (under temporary names) and before its offsets are
   * committed (a test hook: throwing here leaves exactly what a crash at that moment leaves).
   */
  beforeCommit?: (files: string[]) => void | Promise<void>;
  /** A test hook: after the commit, before the files are renamed into place. */
  afterCommit?: (files: string[]) => void | Promise<void>;
}

export interface LakeSinkStats {
  rowsWritten: number;
  recordsSkipped: number;
  /** Records whose row the table cannot hold (a bad partition value or cell): sent to `<topic>.dlq` with the reason. */
  recordsRejected: number;
  filesWritten: number;
  flushes: number;
  /** Files removed at start: written by a flush that never committed. */
  filesRecovered: number;
  /** Files a committed flush had not yet renamed into place, renamed at start. */
  filesCompleted: number;
}

interface PartitionBuffer<T> {
  /** Source offset of the first buffered record: names this flush's files for the partition. */
  start: number;
  /** Rows by destination directory (relative to the table root), in offset order. */
  byDir: Map<string, T[]>;
}

/** A flush's files: each written to `temp` (relative to the table root), renamed to `file` once committed. */
interface PlannedFile<T> {
  dir: string;
  temp: string;
  file: string;
  rows: T[];
}

/** Where a committed flush lists the files it still has to rename (namespace, key = group). */
export const LAKE_MANIFEST_NAMESPACE = 'lake-sink';

const BUFFER_TABLE = 'lake_buffer';

/**
 * Follows one topic with a consumer group and writes its rows to a lake table as Parquet.
 *
 * Exactly once, across crashes and against a second writer:
 * - One writer per group: the sink holds the lease `lake:<group>` while it runs (waiting as a
 *   standby while another sink of the group is live), and its commits are fenced by it.
 * - A flush writes, for each source partition p whose buffered rows start at offset o, one file
 *   `part-p<p>-o<o>.parquet` per Hive partition — first under a temporary name unique to this
 *   writer (`….parquet.<writer>.tmp`, which readers never match), fsynced with its directory.
 * - Then ONE log transaction, fenced by the lease, commits the group's offsets, the list of
 *   temp → final names (state `lake-sink/<group>`) and the dead letters of rows the table cannot
 *   hold. A writer that lost its lease is refused here: it deletes its temp files and stops.
 * - Then the files are renamed into place. A crash before the commit leaves only temp files (the
 *   next start deletes them, and the rows are read again); a crash after it leaves the list, and
 *   the next start finishes the renames. Readers never see a file whose rows are not committed.
 * - At start, files with o ≥ the group's committed offset for p are deleted too (a group rewound
 *   by a reset, or a lake written before the list existed), and rewritten.
 * A full or read-only disk holds the flush: one line says so, the rows stay buffered and the
 * write is tried again until it succeeds (or the sink is stopped: nothing was committed, so the
 * rows are read again next time).
 */
export class LakeSink<T> {
  private readonly flushRows: number;
  private readonly flushIntervalMs: number;
  private readonly pollRecords: number;
  private readonly diskRetryMs: number;
  private readonly root: string;
  private readonly notify: (message: string) => void;
  private consumer: Consumer | null = null;
  private duck: { instance: DuckDBInstance; connection: DuckDBConnection } | null = null;
  private readonly buffers = new Map<number, PartitionBuffer<T>>();
  private readonly rejected: ProducerRecord[] = [];
  /** The last committed flush's files not yet renamed into place (temp → file, relative to the root). */
  private renames: { temp: string; file: string }[] = [];
  private buffered = 0;
  /** When the first record not yet committed was read (null: nothing to commit). */
  private dirtySince: number | null = null;
  private busy = false;
  private closed = false;
  private lease: Lease | null = null;
  /** The owner id of this sink's last lease: taking it again right after itself keeps the consumer. */
  private lastOwner: string | null = null;
  private signal: AbortSignal | undefined;
  private diskProblem: string | null = null;
  private readonly counters: LakeSinkStats = { rowsWritten: 0, recordsSkipped: 0, recordsRejected: 0, filesWritten: 0, flushes: 0, filesRecovered: 0, filesCompleted: 0 };

  constructor(private readonly options: LakeSinkOptions<T>) {
    this.flushRows = options.flushRows ?? 200_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 10_000;
    this.pollRecords = options.pollRecords ?? 10_000;
    this.diskRetryMs = options.diskRetryMs ?? 1000;
    if (!(this.flushRows >= 1)) throw new Error(`lake sink: flushRows must be at least 1, got ${this.flushRows}`);
    if (options.table.columns.length === 0) throw new Error(`lake sink: table ${options.table.path} has no columns`);
    this.root = lakeTableDir(options.dataDir, options.table);
    this.notify = options.notify ?? ((message) => process.stderr.write(`streamrec: ${message}\n`));
  }

  stats(): LakeSinkStats {
    return { ...this.counters };
  }

  /** The topic, group and table this sink joins (`streamrec reset` rewinds the sinks over a pipeline's outputs). */
  get target(): LakeSinkTarget {
    return { topic: this.options.topic, group: this.options.group, table: this.options.table.path };
  }

  /** Reads everything currently in the topic, writes it, commits; returns the rows written (0 if the lease could not be had). */
  async runOnce(): Promise<number> {
    return this.exclusive(undefined, async () => {
      const consumer = await this.start();
      if (!consumer) return 0;
      const before = this.counters.rowsWritten;
      for (;;) {
        const records = await consumer.poll({ maxRecords: this.pollSize(), timeoutMs: 0 });
        if (records.length === 0) break;
        this.add(records);
        if (this.buffered >= this.flushRows) await this.flush();
      }
      await this.flush();
      return this.counters.rowsWritten - before;
    }, 0);
  }

  /** Follows the topic until `signal` aborts, flushing by size and age; flushes once more on abort. */
  async run(signal: AbortSignal): Promise<void> {
    return this.exclusive(signal, async () => {
      const consumer = await this.start();
      if (!consumer) return;
      while (!signal.aborted) {
        const waitMs = this.dirtySince === null ? 200 : Math.max(0, Math.min(200, this.dirtySince + this.flushIntervalMs - Date.now()));
        const records = await consumer.poll({ maxRecords: this.pollSize(), timeoutMs: waitMs });
        this.add(records);
        if (this.buffered >= this.flushRows || (this.dirtySince !== null && Date.now() - this.dirtySince >= this.flushIntervalMs)) {
          await this.flush();
        }
      }
      await this.flush();
    }, undefined);
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

  /**
   * Runs `work` alone and as the owner of the group's lease (taken first, released after):
   * `idle` is what to return when `signal` stops the wait for the lease.
   */
  private async exclusive<R>(signal: AbortSignal | undefined, work: () => Promise<R>, idle: R): Promise<R> {
    if (this.closed) throw new Error(`lake sink ${this.options.table.path}: closed`);
    if (this.busy) throw new Error(`lake sink ${this.options.table.path}: already running`);
    this.busy = true;
    try {
      const lease = await this.acquire(signal);
      if (!lease) return idle;
      this.lease = lease;
      this.signal = signal;
      try {
        return await work();
      } finally {
        this.lease = null;
        this.signal = undefined;
        await lease.release();
      }
    } finally {
      this.busy = false;
    }
  }

  private async acquire(signal: AbortSignal | undefined): Promise<Lease | null> {
    const { log, group } = this.options;
    const lease = await acquireLease(log, leaseKey('lake', group), {
      label: `lake sink ${group}`,
      ttlMs: this.options.lease?.ttlMs ?? loadConfig().leaseTtlMs,
      standby: this.options.lease?.standby,
      signal,
      onWait: (_holder, message) => this.notify(message),
    });
    const previous = lease?.before.previous?.owner.id;
    if (lease && this.consumer && previous !== this.lastOwner) {
      // Another writer held the lease since this sink did: read on from its committed offsets.
      const rows = this.buffered;
      await this.consumer.close();
      this.consumer = null;
      this.discardBuffers();
      // Whoever took the lease in between finished these renames at its start.
      this.renames = [];
      if (rows > 0) this.notify(`lake sink ${group}: another sink wrote meanwhile; reading on from its offsets (${rows} buffered rows are read again)`);
    }
    if (lease) this.lastOwner = lease.owner.id;
    return lease;
  }

  /** Records to ask for: no more than fill the buffer, so a flush holds at most flushRows rows. */
  private pollSize(): number {
    return Math.max(1, Math.min(this.pollRecords, this.flushRows - this.buffered));
  }

  /**
   * Finishes what a committed flush left (renames), removes what an uncommitted one left, then
   * opens the consumer at the committed offsets. Null when the sink was stopped while the disk
   * could not take the clean-up.
   */
  private async start(): Promise<Consumer | null> {
    if (this.consumer) return this.consumer;
    const { log, group, topic } = this.options;
    const manifest = await log.getState(LAKE_MANIFEST_NAMESPACE, group);
    const committed = new Map((await log.committed(group, topic)).map((c) => [c.partition, c.offset]));
    if (!(await this.untilWritten('clean up', async () => this.recover(manifest, committed)))) return null;
    this.consumer = log.consumer({ group, topics: [topic] });
    return this.consumer;
  }

  /** The start's clean-up; safe to run again after a failure part way. */
  private recover(manifest: LogValue | null, committed: Map<number, number>): void {
    if (manifest !== null) {
      const { files } = JSON.parse(typeof manifest === 'string' ? manifest : Buffer.from(manifest).toString('utf8')) as { files: [string, string][] };
      for (const [temp, file] of files) {
        if (renameIfPresent(join(this.root, temp), join(this.root, file))) {
          fsyncPath(dirname(join(this.root, file)));
          this.counters.filesCompleted++;
        }
      }
    }
    for (const file of filesUnder(this.root)) {
      const name = basename(file);
      const m = LAKE_FILE_RE.exec(name);
      const stale = name.endsWith(LAKE_TEMP_SUFFIX) || (m !== null && Number(m[2]) >= (committed.get(Number(m[1])) ?? 0));
      if (stale && unlinkIfPresent(file)) this.counters.filesRecovered++;
    }
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
      const where = this.placeOf(row);
      if (where.problem !== null) {
        this.rejected.push(deadLetterRecord(record, `lake ${this.options.table.path}: ${where.problem}`));
        this.counters.recordsRejected++;
        continue;
      }
      let buf = this.buffers.get(record.partition);
      if (!buf) {
        buf = { start: record.offset, byDir: new Map() };
        this.buffers.set(record.partition, buf);
      }
      let list = buf.byDir.get(where.dir);
      if (!list) buf.byDir.set(where.dir, (list = []));
      list.push(row);
      this.buffered++;
    }
  }

  /** The row's directory relative to the table root, or why the table cannot hold the row. */
  private placeOf(row: T): { dir: string; problem: null } | { dir: null; problem: string } {
    let dir = '';
    for (const key of this.options.table.partitionBy) {
      let value: string;
      try {
        value = String(key.get(row));
      } catch (err) {
        return { dir: null, problem: `partition ${key.name}: ${(err as Error).message}` };
      }
      const problem = hiveProblem(value);
      if (problem) return { dir: null, problem: `partition ${key.name}: ${JSON.stringify(value)} ${problem}` };
      dir += `${dir ? '/' : ''}${key.name}=${value}`;
    }
    for (const column of this.options.table.columns) {
      const problem = cellProblem(column, row);
      if (problem) return { dir: null, problem };
    }
    return { dir, problem: null };
  }

  private discardBuffers(): void {
    this.buffers.clear();
    this.rejected.length = 0;
    this.buffered = 0;
    this.dirtySince = null;
  }

  /** Writes the buffered rows and commits the offsets read; returns the rows written. */
  private async flush(): Promise<number> {
    // A committed flush's renames come first: the next commit replaces the list that names them.
    if (this.renames.length > 0 && !(await this.untilWritten('rename', async () => this.completeRenames()))) return 0;
    if (this.dirtySince === null) return 0;
    const consumer = this.consumer!;
    const lease = this.lease!;
    // Everything read so far is buffered, skipped or rejected: these are the offsets this flush covers.
    const positions: TopicPartitionOffset[] = consumer.positions();
    const writer = lease.owner.id.slice(0, 8);
    const planned: PlannedFile<T>[] = [];
    for (const [partition, buf] of [...this.buffers].sort((a, b) => a[0] - b[0])) {
      for (const [dir, rows] of buf.byDir) {
        const file = join(dir, lakeFileName(partition, buf.start));
        planned.push({ dir, file, temp: `${file}.${writer}${LAKE_TEMP_SUFFIX}`, rows });
      }
    }
    const removeTemps = () => {
      for (const p of planned) unlinkIfPresent(join(this.root, p.temp));
    };
    try {
      if (!(await this.untilWritten('write', () => this.writeTemps(planned), removeTemps))) {
        removeTemps();
        return 0;
      }
      await this.options.beforeCommit?.(planned.map((p) => join(this.root, p.temp)));
      const committed = await this.untilWritten('commit', async () => {
        const tx = this.options.log.transaction();
        lease.fence(tx);
        tx.commitOffsets(this.options.group, positions);
        tx.putState(LAKE_MANIFEST_NAMESPACE, this.options.group, JSON.stringify({ files: planned.map((p) => [p.temp, p.file]) }));
        if (this.rejected.length > 0) tx.send(deadLetterTopic(this.options.topic), this.rejected.slice());
        await tx.commit();
      });
      if (!committed) {
        removeTemps();
        return 0;
      }
    } catch (err) {
      // Refused, or unwritable because a new owner removed this writer's temp files: the lease is
      // lost, this flush's files go, and the sink stops naming the new owner.
      if ((await lease.isLostBy(err)) || !(await lease.held().catch(() => true))) {
        removeTemps();
        throw await lease.lostError(err);
      }
      // Anything else (the log, DuckDB): what was not committed is removed at the next start and
      // the rows are read again.
      throw err;
    }
    // Committed: the rows are the lake's now, whatever happens to the renames (the list in the
    // log names them for the next start, and the next flush finishes them first).
    const written = this.buffered;
    this.discardBuffers();
    this.counters.rowsWritten += written;
    this.counters.filesWritten += planned.length;
    this.counters.flushes++;
    this.renames = planned.map((p) => ({ temp: p.temp, file: p.file }));
    await this.options.afterCommit?.(planned.map((p) => join(this.root, p.file)));
    await this.untilWritten('rename', async () => this.completeRenames());
    return written;
  }

  /** Renames the last committed flush's files into place and makes the renames durable. */
  private completeRenames(): void {
    const dirs = new Set<string>();
    for (const r of this.renames) {
      // A new owner finishing these renames at its start may have been first: both are fine.
      renameIfPresent(join(this.root, r.temp), join(this.root, r.file));
      dirs.add(dirname(join(this.root, r.file)));
    }
    for (const dir of dirs) fsyncPath(dir);
    this.renames = [];
  }

  /**
   * Runs `step` until it succeeds, waiting while the disk is full or read-only (one line when
   * that starts, one when it ends; `beforeRetry` clears what a failed try left). Returns false
   * when the sink was stopped meanwhile: nothing was committed, and the rows are read again next time.
   */
  private async untilWritten(what: string, step: () => Promise<void>, beforeRetry?: () => void): Promise<boolean> {
    for (;;) {
      try {
        await step();
        if (this.diskProblem) this.notify(`lake ${this.options.table.path}: the disk takes writes again; the held rows are written`);
        this.diskProblem = null;
        return true;
      } catch (err) {
        const problem = diskWriteProblem(err);
        if (!problem) throw err;
        try {
          beforeRetry?.();
        } catch {
          // Removing a partial file can fail on the same disk: the next try overwrites it.
        }
        const state = problem === 'full' ? 'the disk is full' : 'the disk is read-only';
        if (this.diskProblem !== state) {
          this.notify(`lake ${this.options.table.path}: cannot ${what} (${state}: ${(err as Error).message.split('\n')[0]}); holding ${this.buffered} rows and retrying every ${this.diskRetryMs} ms`);
        }
        this.diskProblem = state;
        if (this.signal?.aborted) return false;
        try {
          await sleep(this.diskRetryMs, undefined, { signal: this.signal });
        } catch {
          return false;
        }
      }
    }
  }

  /** Writes each planned file under its temp name and makes it durable with its directory. */
  private async writeTemps(planned: PlannedFile<T>[]): Promise<void> {
    const dirs = new Set<string>();
    for (const p of planned) {
      const dir = join(this.root, p.dir);
      const created = mkdirSync(dir, { recursive: true });
      // A new directory's own entry is in its parent: fsync every parent up from the first one made.
      if (created !== undefined) {
        for (let d = dir; ; d = dirname(d)) {
          dirs.add(dirname(d));
          if (d === created || d === dirname(d)) break;
        }
      }
      const temp = join(this.root, p.temp);
      await this.writeParquet(p.rows, temp);
      fsyncPath(temp);
      dirs.add(dir);
    }
    for (const dir of dirs) fsyncPath(dir);
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

/** Why `value` cannot be a Hive directory value (`key=<value>`), or null when it can. */
function hiveProblem(value: string): string | null {
  if (value === '') return 'is empty';
  if (value.includes('\0')) return 'contains a NUL byte';
  if (/[/\\]/.test(value)) return 'contains a path separator';
  if (value === '.' || value === '..') return 'is not a directory name';
  return null;
}

/** Why the column cannot store the row's value (what `toDuckDB` would refuse), or null. */
function cellProblem<T>(column: LakeColumn<T>, row: T): string | null {
  let v: LakeValue;
  try {
    v = column.get(row);
  } catch (err) {
    return `lake column ${column.name}: ${(err as Error).message}`;
  }
  if (v === null || v === undefined) return null;
  let ok: boolean;
  switch (column.type) {
    case 'INTEGER':
      ok = typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 2_147_483_647;
      break;
    case 'BIGINT':
      ok = typeof v === 'number' && Number.isSafeInteger(v);
      break;
    case 'DOUBLE':
      ok = typeof v === 'number';
      break;
    case 'BOOLEAN':
      ok = typeof v === 'boolean';
      break;
    case 'TIMESTAMP': {
      const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
      // DuckDB's TIMESTAMP is microseconds in a signed 64-bit integer.
      ok = Number.isFinite(ms) && Math.abs(ms) < 9.2e15;
      break;
    }
    default:
      ok = true;
  }
  return ok ? null : `lake column ${column.name} (${column.type}): cannot store ${JSON.stringify(v)}`;
}

/** Renames `from` to `to`; false when `from` is gone (another writer renamed or removed it first). */
function renameIfPresent(from: string, to: string): boolean {
  try {
    renameSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function unlinkIfPresent(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
