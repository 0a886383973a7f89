import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventStream } from './pipeline-declaration.js';

/**
 * The handler body of every Server-Sent Events route: a GET is handed to the stream (which sends
 * `initial()` at once, then what is published); a HEAD gets the stream's headers and ends. Node
 * sends a HEAD's headers only when the response ends, and a stream never ends, so a HEAD handed to
 * the stream was never answered and held its connection open.
 */
export function serveStream(
  req: FastifyRequest,
  reply: FastifyReply,
  stream: EventStream,
  initial: () => { event: string | null; data: unknown }[],
): FastifyReply | undefined {
  if (req.method === 'HEAD') return reply.header('cache-control', 'no-cache, no-transform').type('text/event-stream; charset=utf-8').send();
  reply.hijack();
  stream.attach(req.raw, reply.raw, initial);
  return undefined;
}
