import Database from 'better-sqlite3';
import { mkdirSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { diskWriteProblem } from '../../util/disk-errors.js';
import { LogError } from '../types.js';
import { migrate } from './schema.js';

export type Durability = 'normal' | 'full';

/** Opens (creating if need be) the log file in WAL mode and brings its schema up to date. */
export function openDatabase(path: string, durability: Durability): Database.Database {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new LogError(`cannot use data directory ${dir}: ${code}${fixFor(err)}`, { cause: err });
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Several processes may share the file: wait for the write lock instead of failing.
    db.pragma('busy_timeout = 15000');
    db.pragma('cache_size = -16384');
    migrate(db, path);
  } catch (err) {
    db?.close();
    if (err instanceof LogError) throw err;
    throw new LogError(`cannot open event log ${path}: ${(err as Error).message}${fixFor(err)}`, { cause: err });
  }
  return db;
}

/** What to do about an open that failed for the disk or the permissions. */
function fixFor(err: unknown): string {
  const problem = diskWriteProblem(err);
  if (problem === 'full') return ' (the disk is full: free space there, or choose another --data-dir)';
  if (problem === 'read-only') return ' (the file system is read-only: make it writable, or choose another --data-dir)';
  if ((err as NodeJS.ErrnoException).code === 'EACCES') return ' (no permission: give this user read and write access, or choose another --data-dir)';
  return '';
}
