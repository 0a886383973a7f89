import type net from 'node:net';
import { buildServer, type ServerOptions, type StreamrecServer } from '../../src/server/app.js';

/** The real server on 127.0.0.1 at a free port, with a JSON GET helper. */
export async function startTestServer(options: ServerOptions): Promise<{
  server: StreamrecServer;
  base: string;
  get: (path: string) => Promise<{ status: number; body: Record<string, unknown> & { message?: string } }>;
}> {
  const server = await buildServer(options);
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.app.server.address() as net.AddressInfo).port}`;
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { message?: string } };
  };
  return { server, base, get };
}
