import type net from 'node:net';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { buildServer, type ServerOptions, type StreamrecServer } from '../../src/server/app.js';
import { tempDir } from './tmp.js';

export interface TestServer {
  server: StreamrecServer;
  base: string;
  get: (path: string) => Promise<{ status: number; body: Record<string, unknown> & { message?: string } }>;
}

/** The real server on 127.0.0.1 at a free port, with a JSON GET helper. */
export async function startTestServer(options: ServerOptions): Promise<TestServer> {
  const server = await buildServer(options);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.app.server.address() as net.AddressInfo).port}`;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { message?: string } };
  };
  return { server, base, get };
}

/**
 * Server options but the log and the data dir, which `startServerInTempDir` makes; `dataDir: false`
 * keeps the data dir from the server (no analytics or recommendation routes).
 */
export type TempServerOptions = Omit<ServerOptions, 'log' | 'dataDir'> & { dataDir?: false };

export interface TempServer extends TestServer {
  log: EventLog;
  dataDir: string;
  /** Stops the server, closes the log and removes the data dir. */
  close: () => Promise<void>;
}

/**
 * A fresh data dir, the embedded log opened on it and the test server on both. `prepare` runs on
 * the empty data dir before the log opens (to store data, train models), `beforeStart` on the open
 * log before the server starts (to create topics, produce what the server finds at its start).
 */
export async function startServerInTempDir(
  options: TempServerOptions,
  hooks: { prepare?: (dataDir: string) => Promise<void>; beforeStart?: (log: EventLog) => Promise<unknown> } = {},
): Promise<TempServer> {
  const { dataDir: serveDataDir, ...serverOptions } = options;
  const t = tempDir();
  let log: EventLog | undefined;
  try {
    await hooks.prepare?.(t.dir);
    log = openEmbeddedLog({ dataDir: t.dir });
    await hooks.beforeStart?.(log);
    const started = await startTestServer({ ...serverOptions, log, ...(serveDataDir !== false && { dataDir: t.dir }) });
    const opened = log;
    const close = async () => {
      await started.server.close();
      await opened.close();
      t.cleanup();
    };
    return { ...started, log, dataDir: t.dir, close };
  } catch (err) {
    // A failed start hands the caller no close(): leave no open log or dir behind.
    await log?.close();
    t.cleanup();
    throw err;
  }
}
