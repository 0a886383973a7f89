/**
 * Where analytics results go and how a run replaces the previous one.
 *
 * Layout under `<data-dir>/lake/analytics/`:
 *   manifest.json
 *   distributions/genre=<genre>/data_0.parquet        (Hive values URL-encoded: genre=%28all%29)
 *   topn/period=hour|day/date=YYYY-MM-DD/data_0.parquet
 *   trending/data.parquet
 *
 * A run writes everything, manifest last, into a staging directory `lake/.analytics-new-<id>`,
 * then swaps it in with two renames (the old tree to `lake/.analytics-old-<id>`, the new one to
 * `lake/analytics`) and deletes the old tree: a re-run over the same input replaces every file,
 * never adds rows. A reader sees the old or the new outputs, or — between the two renames, for
 * microseconds — none (readers retry once). A lock file (`lake/.analytics.lock`, with the pid)
 * keeps two runs from interleaving; a crashed run's lock and staging trees are cleaned up.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quotedIdentifier, quotedString } from '@duckdb/node-api';
import { lakeDir } from '../lake/lake-table.js';
import { StreamrecError } from '../util/errors.js';
import type { AnalyticsDb } from './analytics-db.js';
import type { AnalyticsManifest } from './types.js';
import { countFilesUnder } from '../util/files-under.js';
import { fsyncPath } from '../util/fsync.js';

export const MANIFEST_FILE = 'manifest.json';
const STAGING_PREFIX = '.analytics-new-';
const OLD_PREFIX = '.analytics-old-';
const LOCK_FILE = '.analytics.lock';

/** `<data-dir>/lake/analytics`. */
export function analyticsDir(dataDir: string): string {
  return join(lakeDir(dataDir), 'analytics');
}

export function manifestPath(dataDir: string): string {
  return join(analyticsDir(dataDir), MANIFEST_FILE);
}

/** The manifest of the published outputs, or null when there are none (or it is unreadable). */
export function readManifest(dataDir: string): AnalyticsManifest | null {
  let text: string;
  try {
    text = readFileSync(manifestPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = JSON.parse(text) as AnalyticsManifest;
  return parsed.version === 1 ? parsed : null;
}

/** Another run holds the lock (code `analytics-busy`, HTTP 503). */
export class AnalyticsBusyError extends StreamrecError {
  override name = 'AnalyticsBusyError';
  constructor(message: string) {
    super(message, { code: 'analytics-busy', status: 503 });
  }
}

export interface Staging {
  readonly dir: string;
  /**
   * Writes a table's rows as Parquet under `<staging>/<name>`: Hive-partitioned by `partitionBy`
   * (no file for a table without rows), or as `<name>/data.parquet` (always written, with the
   * schema, when not partitioned). Returns the number of files.
   */
  write(db: AnalyticsDb, table: string, name: string, partitionBy: string[], orderBy: string): Promise<number>;
  /** Writes the manifest and swaps the staging tree in as the published outputs. */
  publish(manifest: AnalyticsManifest): void;
  /** Drops the staging tree (when the run fails) and releases the lock. */
  discard(): void;
}

/** Takes the lock, removes what a crashed run left, and opens a staging directory. */
export function openStaging(dataDir: string, runId: string): Staging {
  const lake = lakeDir(dataDir);
  mkdirSync(lake, { recursive: true });
  const release = acquireLock(join(lake, LOCK_FILE));
  try {
    for (const name of readdirSync(lake)) {
      if (name.startsWith(STAGING_PREFIX) || name.startsWith(OLD_PREFIX)) rmSync(join(lake, name), { recursive: true, force: true });
    }
    const dir = join(lake, `${STAGING_PREFIX}${runId}`);
    mkdirSync(dir);
    let done = false;
    return {
      dir,
      async write(db, table, name, partitionBy, orderBy) {
        const target = join(dir, name);
        const select = `SELECT * FROM ${quotedIdentifier(table)} ORDER BY ${orderBy}`;
        if (partitionBy.length === 0) {
          mkdirSync(target, { recursive: true });
          await db.run(`COPY (${select}) TO ${quotedString(join(target, 'data.parquet'))} (FORMAT parquet, COMPRESSION zstd)`);
          return 1;
        }
        const keys = partitionBy.map(quotedIdentifier).join(', ');
        // Ordered output keeps files readable; preserve_insertion_order is off for the scans.
        await db.run(`SET preserve_insertion_order = true;
          COPY (${select}) TO ${quotedString(target)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (${keys}), OVERWRITE_OR_IGNORE);
          SET preserve_insertion_order = false;`);
        return countFilesUnder(target, (name) => name.endsWith('.parquet'));
      },
      publish(manifest) {
        if (done) throw new Error('analytics staging: already published or discarded');
        const manifestFile = join(dir, MANIFEST_FILE);
        writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
        fsyncPath(manifestFile);
        fsyncPath(dir);
        const live = analyticsDir(dataDir);
        const old = join(lake, `${OLD_PREFIX}${runId}`);
        const hadLive = existsSync(live);
        if (hadLive) renameSync(live, old);
        renameSync(dir, live);
        fsyncPath(lake);
        done = true;
        if (hadLive) rmSync(old, { recursive: true, force: true });
        release();
      },
      discard() {
        if (done) return;
        done = true;
        try {
          rmSync(dir, { recursive: true, force: true });
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** Creates the lock file exclusively; takes over one whose process is gone. Returns the release. */
function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // removed meanwhile: try again
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new AnalyticsBusyError(`another \`streamrec analytics\` (pid ${pid}) is writing ${path.replace(/[/\\][^/\\]*$/, '')}/analytics; wait for it to finish`);
      }
      try {
        unlinkSync(path);
      } catch {
        // removed meanwhile
      }
    }
  }
  throw new AnalyticsBusyError(`cannot take the analytics lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
