/**
 * The server's limits, on a real server: a body over a route's limit is a 413 with the one error
 * body on every route that takes a body (whether the client says its length or streams it), and
 * event streams over the connection limit (all streams together) get a 503 with Retry-After until
 * a client leaves.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { DEFAULT_BODY_LIMIT, type StreamrecServer } from '../../src/server/app.js';
import { sseConnect, waitFor } from '../helpers/sse-client.js';
import { startServerInTempDir } from '../helpers/test-server.js';

const TOKEN = 'limits-token';

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request over node:http: with `chunked`, the body is streamed without a Content-Length. */
function send(base: string, method: string, path: string, body: Buffer | null, headers: Record<string, string> = {}, chunked = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(body && !chunked && { 'content-length': String(body.length) }), ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    // The server may answer before it has read the whole body; what it then refuses to read is not an error here.
    req.on('error', reject);
    if (body && chunked) {
      for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
      req.end();
    } else {
      req.end(body ?? undefined);
    }
  });
}

/** A JSON array of `n` bytes or a little more: valid, so only its size can be refused. */
function jsonOfSize(n: number): Buffer {
  const item = '{"type":"cheers"}';
  return Buffer.from(`[${Array.from({ length: Math.ceil(n / (item.length + 1)) }, () => item).join(',')}]`);
}

describe('body-size limits', () => {
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ base, close } = await startServerInTempDir({ adminToken: TOKEN, recommend: { pollEveryMs: 0 } }));
  });
  after(() => close());

  // Every route that takes a body (the write routes of the OpenAPI document; admin-access.test
  // checks that list is complete), with the token so an admin route gets as far as its body.
  const BODY_ROUTES = ['/clicks', '/kafka/click', '/events/clicks', '/recommendations/predict', '/recommendations/reload'];

  it('answers 413 with the one error body, naming the limit, on every body route', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).filter(([, m]) => 'post' in m || 'put' in m || 'patch' in m || 'delete' in m).map(([p]) => p.replace('{pipeline}', 'clicks')).sort();
    assert.deepEqual(documented, [...BODY_ROUTES].sort());
    const big = jsonOfSize(2 * 1024 * 1024);
    for (const path of BODY_ROUTES) {
      for (const chunked of [false, true]) {
        const r = await send(base, 'POST', path, big, { authorization: `Bearer ${TOKEN}` }, chunked);
        assert.equal(r.status, 413, `${path}${chunked ? ' (chunked)' : ''}: ${r.body.slice(0, 200)}`);
        const body = JSON.parse(r.body) as { statusCode: number; error: string; message: string; detail: string };
        assert.equal(body.statusCode, 413);
        assert.equal(body.error, 'Payload Too Large');
        assert.match(body.message, /too large/, path);
        assert.equal(body.detail, body.message);
      }
    }
  });

  it('takes bodies up to the limit; a route without its own limit takes the default, not Fastify\'s 1 MiB', async () => {
    const justOver = await send(base, 'POST', '/recommendations/predict', jsonOfSize(DEFAULT_BODY_LIMIT + 10));
    assert.equal(justOver.status, 413);
    assert.match(JSON.parse(justOver.body).message as string, new RegExp(`POST /recommendations/predict takes at most ${DEFAULT_BODY_LIMIT} bytes`));
    const small = await send(base, 'POST', '/recommendations/predict', Buffer.from('{"user_id":1,"movie_id":2}'));
    assert.equal(small.status, 503, 'read and answered (no model trained here)');
    const clicks = await send(base, 'POST', '/clicks', Buffer.from(JSON.stringify(Array.from({ length: 500 }, () => ({ type: 'hate' })))));
    assert.equal(clicks.status, 202, 'an ingestion batch within its limit');
  });

  it('keeps serving after the refusals', async () => {
    const r = await fetch(`${base}/metrics/health`);
    assert.equal(r.status, 200);
    await r.arrayBuffer();
  });
});

describe('event-stream connection limit', () => {
  let server: StreamrecServer;
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, base, close } = await startServerInTempDir({ dataDir: false, recommend: false, sseMaxClients: 3, heartbeatMs: 200 }));
  });
  after(() => close());

  it('counts every stream together, answers 503 with Retry-After over the limit, and takes clients again when one leaves', async () => {
    // Three streams of three different hubs fill the server's limit of 3.
    const held = ['/metrics/stream?format=events', '/pipelines/ratings/stream', '/clicks/stream'].map((p) => sseConnect(`${base}${p}`));
    try {
      await waitFor(() => held.every((c) => c.events.length > 0), 10_000, 'three streams open');
      assert.equal(server.sseClients.size, 3);

      for (const path of ['/commerce/stream', '/metrics/stream', '/pipelines/clicks/stream']) {
        const r = await send(base, 'GET', path, null, { accept: 'text/event-stream' });
        assert.equal(r.status, 503, path);
        assert.match(String(r.headers['content-type']), /^application\/json/);
        assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After');
        const body = JSON.parse(r.body) as { statusCode: number; error: string; message: string; detail: string };
        assert.deepEqual({ statusCode: body.statusCode, error: body.error }, { statusCode: 503, error: 'Service Unavailable' });
        assert.match(body.message, /too many live event streams: this server holds at most 3 at once \(STREAMREC_SSE_MAX_CLIENTS or --sse-max-clients\)/);
        assert.equal(body.detail, body.message);
      }
      assert.equal(server.sseClients.size, 3, 'a refused connection holds no place');
      // The held streams keep flowing meanwhile (heartbeats every 200 ms).
      const before = held[0]!.comments.length;
      await waitFor(() => held[0]!.comments.length > before, 10_000, 'a heartbeat on a held stream');

      held[1]!.close();
      await waitFor(() => server.sseClients.size === 2, 10_000, 'the place freed');
      const again = sseConnect(`${base}/commerce/stream`);
      try {
        await waitFor(() => again.events.some((e) => e.event === 'snapshot'), 10_000, 'a new stream once a place is free');
        assert.equal(server.sseClients.size, 3);
      } finally {
        again.close();
      }
      await waitFor(() => server.sseClients.size === 2, 10_000, 'freed again');
    } finally {
      for (const c of held) c.close();
    }
    await waitFor(() => server.sseClients.size === 0, 10_000, 'all places freed');
  });
});
