import type { FastifyRequest } from 'fastify';

/**
 * The message of a client error Fastify raises itself while reading a body, worded like
 * streamrec's own: what was wrong and what to send instead ("Unsupported Media Type" alone named
 * neither the type nor the fix, "Request body is too large" not the limit). Any other error keeps
 * its message.
 */
export function clientErrorMessage(err: unknown, req: FastifyRequest): string {
  const { code, message } = err as { code?: unknown; message?: unknown };
  const route = `${req.method} ${req.url.split('?')[0]}`;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = req.headers['content-type'];
      return type === undefined
        ? `${route}: a body needs "Content-Type: application/json"`
        : `${route} takes no ${JSON.stringify(type)} body: send JSON with "Content-Type: application/json"`;
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the body is too large: ${route} takes at most ${req.routeOptions.bodyLimit ?? '?'} bytes`;
    default:
      return String(message);
  }
}
