import Database from 'better-sqlite3';
import { mkdirSync, accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
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
    throw new LogError(`cannot use data directory ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let db: Database.Database;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Several processes may share the file: wait for the write lock instead of failing.
    db.pragma('busy_timeout = 15000');
    db.pragma('cache_size = -16384');
    migrate(db, path);
  } catch (err) {
    if (err instanceof LogError) throw err;
    throw new LogError(`cannot open event log ${path}: ${(err as Error).message}`);
  }
  return db;
}
