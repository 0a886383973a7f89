/**
 * The server's flags, shared by `serve` and `up`: where it listens, and who may do what (admin
 * token, CORS origins, how many event streams). Each flag wins over its STREAMREC_* variable;
 * an absent flag leaves the server to read the variable.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { ServerOptions } from '../server/app.js';
import { parseCorsOrigin } from '../util/config.js';
import { forCommander, port, positiveInt } from './options.js';

/** The flags `addServerOptions` adds, as commander hands them over. */
export interface ServerFlags {
  port?: number;
  host?: string;
  adminToken?: string;
  corsOrigin?: string[];
  sseMaxClients?: number;
}

/** `--cors-origin a,b --cors-origin c`: every origin, checked, in order. */
function corsOrigins(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter((part) => part.trim() !== '').map(forCommander(parseCorsOrigin))];
}

function adminToken(value: string): string {
  if (!/^\S+$/.test(value)) throw new InvalidArgumentError('expected a token without spaces.');
  return value;
}

export function addServerOptions(command: Command): Command {
  return command
    .option('--port <n>', 'HTTP port (env STREAMREC_PORT; default 8000; 0 for any free port)', port)
    .option('--host <host>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--admin-token <token>', 'bearer token for admin routes such as POST /recommendations/reload (env STREAMREC_ADMIN_TOKEN, which ps does not show); without one they answer only this machine', adminToken)
    .option('--cors-origin <origin...>', 'let pages from these origins call the API (env STREAMREC_CORS_ORIGIN, comma-separated; * for any); default none', corsOrigins)
    .option('--sse-max-clients <n>', 'event-stream connections held at once, all streams together; more get 503 (env STREAMREC_SSE_MAX_CLIENTS; default 1000)', positiveInt);
}

/** What the server takes from the access flags (absent ones left out: the server reads the environment). */
export function serverAccess(flags: ServerFlags): Pick<ServerOptions, 'adminToken' | 'corsOrigins' | 'sseMaxClients'> {
  return {
    ...(flags.adminToken !== undefined && { adminToken: flags.adminToken }),
    ...(flags.corsOrigin !== undefined && { corsOrigins: flags.corsOrigin }),
    ...(flags.sseMaxClients !== undefined && { sseMaxClients: flags.sseMaxClients }),
  };
}
