import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import helmet, { type HelmetOptions } from 'helmet';

export const HELMET: Readonly<HelmetOptions> = {
  hsts: false,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'self'"],
    },
  },
};

/**
 * The headers helmet's middleware sets (and removes) for these options, in its order: found once
 * by running it on a recording response. Its answer depends on the options alone (no directive
 * here is a function of the request, no nonces), while a middleware per request — what
 * @fastify/helmet does — builds itself again, the policy parsed anew, on every request.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): { set: [name: string, value: string][]; removed: string[] } {
  const set: [string, string][] = [];
  const removed: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => void set.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    finished = true;
  });
  if (!finished) throw new Error('helmet did not finish synchronously');
  return { set, removed };
}

/**
 * What a browser may do with the server's answers. Security headers (helmet) on every answer,
 * with a Content Security Policy the pages live with: scripts only from this origin (the bundles
 * under /, swagger-ui's files under /docs), inline styles allowed (the pages' `style="--span: 12"`
 * attributes, ECharts' and swagger-ui's styling), images from here or `data:` (the icons), requests
 * (fetch, EventSource) to this origin. No HSTS and no upgrade-insecure-requests: the server speaks
 * plain HTTP (a TLS proxy in front sets those). CORS only for the allowed origins, none by default.
 */
export async function registerBrowserPolicy(app: FastifyInstance, corsOrigins: string[]): Promise<void> {
  const headers = helmetHeaders(HELMET);
  app.addHook('onRequest', (_req, reply, done) => {
    for (const [name, value] of headers.set) reply.raw.setHeader(name, value);
    for (const name of headers.removed) reply.raw.removeHeader(name);
    done();
  });
  if (corsOrigins.length > 0) {
    await app.register(fastifyCors, {
      origin: corsOrigins.includes('*') ? '*' : corsOrigins,
      exposedHeaders: ['Retry-After'],
      maxAge: 600,
    });
  }
  // An event stream writes its head on the raw response (the route hijacks the reply), so the
  // headers set above would be lost: put them on the raw response, where its writeHead keeps them.
  app.addHook('onRequest', (req, reply, done) => {
    if (req.headers.accept?.includes('text/event-stream')) {
      for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) reply.raw.setHeader(name, value);
    }
    done();
  });
}
