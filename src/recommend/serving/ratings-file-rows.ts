// Reads a dataset's ratings.bin (the format of data/ratings-store.ts) for grouping by user, with
// bounded reads: the user column whole, the others a range of rows at a time, the timestamps only
// scanned for the newest. Unlike loadRatings (one 400 MB read into one buffer at 20M ratings), it
// never holds the file whole, and no single read holds the process's memory map for long, which
// would stall the event loop of the server's main thread while a worker loads a dataset.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseRatingsHeader, ratingsPath, type RatingsHeader } from '../data/ratings-store.js';
import type { RatingRows } from './user-histories.js';

/** Bytes a read asks for. */
const READ_BYTES = 8 << 20;

export interface RatingRowsFile extends RatingRows {
  count: number;
  close(): void;
}

/** Opens `<dir>/ratings.bin`; errors name the file. The caller closes it. */
export function openRatingRows(dir: string): RatingRowsFile {
  if (endianness() !== 'LE') throw new Error('the ratings store needs a little-endian machine');
  const path = ratingsPath(dir);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no ratings stored: ${path} not found`, { cause: err });
    throw err;
  }
  try {
    const prefix = Buffer.alloc(12);
    readFully(fd, prefix, 0);
    const first = parseRatingsHeader(prefix, path, true);
    let header: RatingsHeader;
    if ('need' in first) {
      const head = Buffer.alloc(first.need);
      readFully(fd, head, 0);
      header = parseRatingsHeader(head, path);
    } else {
      header = first;
    }
    const { count, offsets } = header;
    if (fstatSync(fd).size < offsets.timestamps + count * 8) throw new Error(`${path} is truncated`);

    const users = new Int32Array(count);
    readFully(fd, users, offsets.users);
    let maxTimestamp = -Infinity;
    const times = new Float64Array(Math.min(count, READ_BYTES / 8));
    for (let from = 0; from < count; from += times.length) {
      const n = Math.min(times.length, count - from);
      readFully(fd, times.subarray(0, n), offsets.timestamps + from * 8);
      for (let i = 0; i < n; i++) if (times[i] > maxTimestamp) maxTimestamp = times[i];
    }
    let movies = new Int32Array(0);
    let ratings = new Float32Array(0);
    return {
      count,
      users,
      maxTimestamp,
      slice(from, to) {
        const n = to - from;
        if (movies.length < n) {
          movies = new Int32Array(n);
          ratings = new Float32Array(n);
        }
        readFully(fd, movies.subarray(0, n), offsets.movies + from * 4);
        readFully(fd, ratings.subarray(0, n), offsets.ratings + from * 4);
        return { movies: movies.subarray(0, n), ratings: ratings.subarray(0, n) };
      },
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Fills `view` from `position`, READ_BYTES at a time; a short file is an error. */
function readFully(fd: number, view: ArrayBufferView, position: number): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, Math.min(READ_BYTES, bytes.length - done), position + done);
    if (n === 0) throw new Error(`unexpected end of the ratings file at byte ${position + done}`);
    done += n;
  }
}
