/**
 * Who may call the admin routes. Every write route (POST, PUT, PATCH, DELETE) is an admin route
 * unless it is public: the ingestion routes listed in `PUBLIC_WRITES`, and any route declared
 * with `config: { access: 'public' }`. Deny by default, so a write route added later is protected
 * without anyone remembering to.
 *
 * With a token configured, an admin route needs `Authorization: Bearer <token>` (401 otherwise,
 * compared in constant time). Without one, admin routes answer only clients on this machine
 * (loopback) and 403 to others: `streamrec serve` on a laptop keeps working as before, and a
 * server exposed with `--host 0.0.0.0` cannot be reloaded from the network until a token is set.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyRequest, HTTPMethods, onRequestHookHandler, RouteOptions } from 'fastify';
import { StreamrecError } from '../util/errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `public`: a write route anyone may call (ingestion); otherwise write routes are admin routes. */
    access?: 'public' | 'admin';
  }
}

/** Write routes anyone may call: event ingestion, the clicker, and predict (a read that takes a body). */
export const PUBLIC_WRITES: readonly string[] = [
  'POST /events/:pipeline',
  'POST /clicks',
  'POST /kafka/click',
  'POST /recommendations/predict',
];

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** 401 (no or a wrong token) or 403 (no token configured, a client on another machine). */
export class AdminAccessError extends StreamrecError {
  override name = 'AdminAccessError';
  constructor(message: string, code: 'admin-token-missing' | 'admin-token-wrong' | 'admin-remote', status: 401 | 403) {
    super(message, { code, status });
  }
}

/** Whether a route (its method(s) and URL as registered) is an admin route. */
export function isAdminRoute(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): boolean {
  if (route.config?.access === 'public') return false;
  const methods = (Array.isArray(route.method) ? route.method : [route.method]) as HTTPMethods[];
  return methods.some((m) => WRITE_METHODS.has(m.toUpperCase()) && !PUBLIC_WRITES.includes(`${m.toUpperCase()} ${route.url}`));
}

/** Whether an address (IPv4, IPv6 or IPv4-mapped IPv6) is this machine's loopback. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1';
}

/** Whether a listen host only takes connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/** Whether `Authorization: Bearer <token>` holds `token`, compared in constant time (digests: equal lengths, nothing learnt from one). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  return timingSafeEqual(digest(m[1]!), digest(token));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The check run before an admin route's handler. */
export function adminCheck(token: string | undefined): onRequestHookHandler {
  return function checkAdmin(req: FastifyRequest, _reply, done) {
    const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
    if (token === undefined) {
      if (isLoopbackAddress(req.socket.remoteAddress)) return done();
      return done(new AdminAccessError(
        `${route} is an admin route and this server has no admin token, so it answers only on this machine: start the server with --admin-token <token> (or STREAMREC_ADMIN_TOKEN) and send "Authorization: Bearer <token>"`,
        'admin-remote', 403,
      ));
    }
    const header = req.headers.authorization;
    if (bearerMatches(header, token)) return done();
    return done(header === undefined
      ? new AdminAccessError(`${route} is an admin route: send "Authorization: Bearer <token>" with the server's admin token (--admin-token or STREAMREC_ADMIN_TOKEN)`, 'admin-token-missing', 401)
      : new AdminAccessError(`${route}: the admin token sent does not match: send "Authorization: Bearer <token>" with the server's admin token (--admin-token or STREAMREC_ADMIN_TOKEN)`, 'admin-token-wrong', 401));
  };
}

/** An `onRoute` hook: adds the admin check in front of every admin route registered after it. */
export function guardAdminRoutes(token: string | undefined): (route: RouteOptions) => void {
  const check = adminCheck(token);
  return (route) => {
    if (!isAdminRoute(route)) return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [check, ...existing];
  };
}
