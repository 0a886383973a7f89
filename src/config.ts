import { resolve } from 'node:path';

/** Where streamrec keeps its data: --data-dir, else STREAMREC_DATA_DIR, else ./data. */
export function resolveDataDir(flag?: string): string {
  return resolve(flag ?? process.env.STREAMREC_DATA_DIR ?? './data');
}

/** The embedded log's file inside a data dir. */
export function logPath(dataDir: string): string {
  return resolve(dataDir, 'log', 'log.db');
}

/** The API's port: a --port flag, else STREAMREC_PORT, else 8000. A bad STREAMREC_PORT throws with what it was. */
export function configuredPort(flag?: number): number {
  if (flag !== undefined) return flag;
  const env = process.env.STREAMREC_PORT;
  if (env === undefined) return 8000;
  const port = Number(env);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`STREAMREC_PORT must be a port number, got ${JSON.stringify(env)}`);
  return port;
}
