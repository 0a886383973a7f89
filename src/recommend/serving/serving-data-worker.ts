// The dataset side of a serving set, built in a worker thread: reading a 20M-rating file (400 MB)
// and grouping it by user, or parsing a catalogue, takes CPU time that must not stall the server's
// event loop. The grouped arrays are transferred back (no copy); the raw columns die with the
// worker. The catalogue comes back as JSON in slices, which the server parses a slice at a time
// (a structured clone of the movies would be one long pause on its side).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCatalogue } from '../../movies/catalogue.js';
import { buildInteractions } from '../data/interactions.js';
import { loadRatings } from '../data/ratings-store.js';
import { PopularityModel } from '../models/popularity/popularity.js';
import { openRatingRows } from './ratings-file-rows.js';
import { historyArrays, type HistoryArrays } from './user-histories.js';

export interface ServingDataJob {
  /** The dataset directory. */
  dir: string;
  /** Parse movies.csv. */
  catalogue: boolean;
  /** Group the ratings by user. */
  histories: boolean;
  /** Train the popularity fallback on the ratings and save it into a new temporary directory. */
  popularity: boolean;
}

export type ServingDataReply =
  | { ok: true; histories?: HistoryArrays; ratedMovies?: number; popularityDir?: string; movies?: string[] }
  | { ok: false; message: string };

/** Movies a JSON slice of the catalogue holds. */
const SLICE = 2000;

async function build(job: ServingDataJob): Promise<{ reply: ServingDataReply; transfer: ArrayBuffer[] }> {
  const reply: ServingDataReply = { ok: true };
  const transfer: ArrayBuffer[] = [];
  const catalogue = job.catalogue || job.popularity ? await loadCatalogue(join(job.dir, 'movies.csv')) : undefined;
  if (job.catalogue) {
    const movies = catalogue!.all();
    reply.movies = [];
    for (let i = 0; i < movies.length; i += SLICE) reply.movies.push(JSON.stringify(movies.slice(i, i + SLICE)));
  }
  if (job.histories) {
    const rows = openRatingRows(job.dir);
    try {
      const h = historyArrays(rows);
      reply.histories = h;
      reply.ratedMovies = countDistinct(h.movies);
      for (const a of [h.userIds, h.ptr, h.movies, h.ratings]) if (a.byteLength > 0 && !transfer.includes(a.buffer as ArrayBuffer)) transfer.push(a.buffer as ArrayBuffer);
    } finally {
      rows.close();
    }
  }
  if (job.popularity) {
    const { columns } = loadRatings(job.dir);
    const dir = mkdtempSync(join(tmpdir(), 'streamrec-popularity-'));
    try {
      PopularityModel.train(buildInteractions(columns), catalogue!).save(dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    reply.popularityDir = dir;
  }
  return { reply, transfer };
}

function countDistinct(ids: Int32Array): number {
  if (ids.length === 0) return 0;
  let max = 0;
  for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
  if (max > 1 << 26) return new Set(ids).size;
  const seen = new Uint8Array(max + 1);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    if (seen[ids[i]] === 0) {
      seen[ids[i]] = 1;
      n++;
    }
  }
  return n;
}

if (parentPort !== null) {
  const port = parentPort;
  build(workerData as ServingDataJob).then(
    ({ reply, transfer }) => port.postMessage(reply, transfer),
    (err: unknown) => port.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) } satisfies ServingDataReply),
  );
}
