// A compact columnar ratings file: `<dir>/ratings.bin` = magic, a small JSON header and the four
// columns, little-endian, each 8-byte aligned, so loading is one read and four typed-array views.
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { RatingColumns } from './ratings-parse.js';

const MAGIC = 'SRRATNG1';
const FORMAT_VERSION = 1;

export interface RatingsHeader {
  version: number;
  count: number;
  /** A hash of the row count and a sample of every column: equal data, equal fingerprint. */
  fingerprint: string;
  /** Byte offsets of the columns from the start of the file. */
  offsets: { users: number; movies: number; ratings: number; timestamps: number };
  /** Free-form facts about the data (source layout, file name …). */
  meta?: Record<string, unknown>;
}

export interface LoadedRatings {
  columns: RatingColumns;
  header: RatingsHeader;
  fingerprint: string;
}

export function ratingsPath(dir: string): string {
  return join(dir, 'ratings.bin');
}

/**
 * A fingerprint of the columns: SHA-256 over the row count and evenly spaced slices of each
 * column (all of it when small), so it costs milliseconds for 25M rows.
 */
export function ratingsFingerprint(columns: RatingColumns): string {
  const hash = createHash('sha256');
  const n = columns.users.length;
  hash.update(`ratings:${n}\n`);
  for (const col of [columns.users, columns.movies, columns.ratings, columns.timestamps]) {
    const bytes = asBytes(col);
    const slice = 4096;
    const slices = 256;
    if (bytes.length <= slice * slices) {
      hash.update(bytes);
    } else {
      const step = Math.floor((bytes.length - slice) / (slices - 1));
      for (let i = 0; i < slices; i++) hash.update(bytes.subarray(i * step, i * step + slice));
      hash.update(bytes.subarray(bytes.length - slice));
    }
  }
  return hash.digest('hex').slice(0, 32);
}

/** Writes `<dir>/ratings.bin` (to a temp file, fsynced, then renamed); returns the header written. */
export function saveRatings(dir: string, columns: RatingColumns, meta?: Record<string, unknown>): RatingsHeader {
  assertLittleEndian();
  const count = columns.users.length;
  if (columns.movies.length !== count || columns.ratings.length !== count || columns.timestamps.length !== count) {
    throw new Error('saveRatings: the four columns must have the same length');
  }
  const fingerprint = ratingsFingerprint(columns);
  // The header's length depends on the offsets, which depend on its length: pad it to a fixed slot.
  const headerOf = (start: number): RatingsHeader => {
    const users = start;
    const movies = align8(users + count * 4);
    const ratings = align8(movies + count * 4);
    const timestamps = align8(ratings + count * 4);
    const header: RatingsHeader = { version: FORMAT_VERSION, count, fingerprint, offsets: { users, movies, ratings, timestamps } };
    if (meta !== undefined) header.meta = meta;
    return header;
  };
  let start = 64;
  let json = Buffer.from(JSON.stringify(headerOf(start)));
  while (12 + json.length > start) {
    start = align8(12 + json.length + 64);
    json = Buffer.from(JSON.stringify(headerOf(start)));
  }
  const header = headerOf(start);
  const prefix = Buffer.alloc(start, 0x20); // the JSON is padded with spaces
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);

  mkdirSync(dir, { recursive: true });
  const path = ratingsPath(dir);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    let pos = 0;
    const write = (bytes: Uint8Array, at: number) => {
      if (at > pos) pos += writeAll(fd, Buffer.alloc(at - pos), pos);
      pos += writeAll(fd, bytes, pos);
    };
    write(prefix, 0);
    write(asBytes(columns.users), header.offsets.users);
    write(asBytes(columns.movies), header.offsets.movies);
    write(asBytes(columns.ratings), header.offsets.ratings);
    write(asBytes(columns.timestamps), header.offsets.timestamps);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return header;
}

/** Reads `<dir>/ratings.bin` once and returns typed-array views over it (no per-row work). */
export function loadRatings(dir: string): LoadedRatings {
  assertLittleEndian();
  const path = ratingsPath(dir);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no ratings stored: ${path} not found`, { cause: err });
    throw err;
  }
  const header = parseRatingsHeader(buf, path);
  const { count, offsets } = header;
  if (buf.length < offsets.timestamps + count * 8) throw new Error(`${path} is truncated`);
  // Typed-array views need aligned offsets: the file's are, the Buffer's start may not be.
  const bytes: Uint8Array = buf.byteOffset % 8 === 0 ? buf : new Uint8Array(buf);
  const ab = bytes.buffer;
  const base = bytes.byteOffset;
  const columns: RatingColumns = {
    users: new Int32Array(ab, base + offsets.users, count),
    movies: new Int32Array(ab, base + offsets.movies, count),
    ratings: new Float32Array(ab, base + offsets.ratings, count),
    timestamps: new Float64Array(ab, base + offsets.timestamps, count),
  };
  return { columns, header, fingerprint: header.fingerprint };
}

/**
 * The header at the start of a ratings file. `head` holds at least the first 12 bytes; when it is
 * shorter than the whole header, the returned `need` says how many bytes to read and pass again.
 */
export function parseRatingsHeader(head: Buffer, path: string): RatingsHeader;
export function parseRatingsHeader(head: Buffer, path: string, partial: true): RatingsHeader | { need: number };
export function parseRatingsHeader(head: Buffer, path: string, partial = false): RatingsHeader | { need: number } {
  if (head.length < 12 || head.toString('latin1', 0, 8) !== MAGIC) throw new Error(`${path} is not a streamrec ratings file`);
  const end = 12 + head.readUInt32LE(8);
  if (head.length < end) {
    if (partial) return { need: end };
    throw new Error(`${path} is truncated`);
  }
  let header: RatingsHeader;
  try {
    header = JSON.parse(head.toString('utf8', 12, end)) as RatingsHeader;
  } catch (err) {
    throw new Error(`${path}: unreadable header`, { cause: err });
  }
  if (header.version !== FORMAT_VERSION) throw new Error(`${path}: unsupported format version ${header.version}`);
  return header;
}

function writeAll(fd: number, bytes: Uint8Array, position: number): number {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30), position + done);
  }
  return bytes.length;
}

function asBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('the ratings store needs a little-endian machine');
}
