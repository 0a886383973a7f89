import type { EventLog } from '../log/types.js';
import { UserError } from '../util/errors.js';
import { isLoopbackHost } from './admin-access.js';
import { buildServer, type ServerOptions, type StreamrecServer } from './app.js';

export interface ListenOptions extends Omit<ServerOptions, 'log'> {
  log: EventLog;
  port: number;
  host: string;
  /** Where a warning line goes (default standard error, prefixed `streamrec: warning:`). */
  onWarning?: (line: string) => void;
}

/**
 * Builds the server and listens; a port in use is a user error that says what to do. Listening
 * beyond this machine without an admin token is allowed, with a warning.
 */
export async function listen(options: ListenOptions): Promise<StreamrecServer & { url: string }> {
  const server = await buildServer(options);
  try {
    await server.app.listen({ port: options.port, host: options.host });
  } catch (err) {
    await server.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`port ${options.port} is in use: pass another with --port (or STREAMREC_PORT)`);
    if (code === 'EACCES') throw new UserError(`no permission to listen on port ${options.port}: use a port above 1024`);
    throw err;
  }
  const warning = exposureWarning(options.host, server.adminTokenSet);
  if (warning) (options.onWarning ?? ((line: string) => process.stderr.write(`streamrec: warning: ${line}\n`)))(warning);
  const shownHost = options.host === '0.0.0.0' || options.host === '127.0.0.1' ? 'localhost' : options.host;
  // With --port 0 the system picks a free port: show the one it picked.
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { ...server, url: `http://${shownHost}:${port}` };
}

/** The warning for a server other machines can reach with no admin token set; null when there is none to give. */
export function exposureWarning(host: string, adminTokenSet: boolean): string | null {
  if (adminTokenSet || isLoopbackHost(host)) return null;
  return `listening on ${host} with no admin token: other machines can reach the API and post events, and the admin routes answer only this machine; `
    + 'set --admin-token <token> (or STREAMREC_ADMIN_TOKEN) to call them from elsewhere, or listen on 127.0.0.1';
}
