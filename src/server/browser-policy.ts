import type { FastifyInstance } from 'fastify';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';

/**
 * What a browser may do with the server's answers. Security headers (helmet) on every answer,
 * with a Content Security Policy the pages live with: scripts only from this origin (the bundles
 * under /, swagger-ui's files under /docs), inline styles allowed (the pages' `style="--span: 12"`
 * attributes, ECharts' and swagger-ui's styling), images from here or `data:` (the icons), requests
 * (fetch, EventSource) to this origin. No HSTS and no upgrade-insecure-requests: the server speaks
 * plain HTTP (a TLS proxy in front sets those). CORS only for the allowed origins, none by default.
 */
export async function registerBrowserPolicy(app: FastifyInstance, corsOrigins: string[]): Promise<void> {
  await app.register(fastifyHelmet, {
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
