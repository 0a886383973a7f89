import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EventLog } from '../log/types.js';
import { countFilesUnder } from '../util/files-under.js';
import { fsyncPath } from '../util/fsync.js';
import { LAKE_FILE_RE, lakeTableDir } from './lake-table.js';

/** What a lake sink joins: the topic it follows, its consumer group, its table (relative to `<data-dir>/lake`). */
export interface LakeSinkTarget {
  topic: string;
  group: string;
  table: string;
}

/** A table `rewindLakeSink` emptied, and how many data files it held. */
export interface LakeRewind {
  table: string;
  files: number;
}

/** Prefix of a table directory being removed (a sibling of it, outside every view's glob). */
const REMOVING_PREFIX = '.removing-';

/**
 * Empties a sink's lake table and forgets the sink's offsets, so it writes the table again from
 * the oldest record its topic holds. The offsets go first: a crash between the two steps leaves a
 * sink with no offsets, and a sink with no offsets deletes its table's files itself when it starts
 * (see `LakeSink`) — the other order could leave offsets with their files gone, rows never written
 * again. The directory is renamed away before it is deleted, so a query sees all of it or none.
 */
export async function rewindLakeSink(log: EventLog, dataDir: string, target: LakeSinkTarget): Promise<LakeRewind> {
  await log.deleteGroup(target.group);
  const dir = lakeTableDir(dataDir, { path: target.table });
  const files = countFilesUnder(dir, (name) => LAKE_FILE_RE.test(name));
  const parent = dirname(dir);
  removeLeftovers(parent, basename(dir));
  const away = join(parent, `${REMOVING_PREFIX}${basename(dir)}-${process.pid}-${randomBytes(3).toString('hex')}`);
  try {
    renameSync(dir, away);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { table: target.table, files: 0 };
    throw err;
  }
  fsyncPath(parent);
  rmSync(away, { recursive: true, force: true });
  return { table: target.table, files };
}

/** Directories an earlier rewind of this table renamed away but did not get to delete. */
function removeLeftovers(parent: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) if (e.startsWith(`${REMOVING_PREFIX}${name}-`)) rmSync(join(parent, e), { recursive: true, force: true });
}
