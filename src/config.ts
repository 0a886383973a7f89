import { resolve } from 'node:path';

/** Where streamrec keeps its data: --data-dir, else STREAMREC_DATA_DIR, else ./data. */
export function resolveDataDir(flag?: string): string {
  return resolve(flag ?? process.env.STREAMREC_DATA_DIR ?? './data');
}

/** The embedded log's file inside a data dir. */
export function logPath(dataDir: string): string {
  return resolve(dataDir, 'log', 'log.db');
}
