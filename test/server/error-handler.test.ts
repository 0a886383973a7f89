import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { LogError, type EventLog } from '../../src/log/types.js';
import { buildServer, type StreamrecServer } from '../../src/server/app.js';
import { AnalyticsBusyError } from '../../src/analytics/outputs.js';
import { AnalyticsQueryError } from '../../src/analytics/read-analytics.js';
import { StreamrecError, UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/tmp.js';

describe('the server error handler', () => {
  let log: EventLog;
  let server: StreamrecServer;
  let cleanup: () => void;
  const logLines: { level: number; msg: string; err?: { message: string } }[] = [];

  before(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    log = openEmbeddedLog({ dataDir: t.dir });
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line) as (typeof logLines)[number]);
        done();
      },
    });
    server = await buildServer({ log, dataDir: t.dir, recommend: false, webDir: '/nonexistent', logger: { level: 'error', stream } });
    // Test routes, registered like any plugin's routes (as the recommendation routes will throw theirs).
    await server.app.register(async (app) => {
      const errors: Record<string, () => Error> = {
        'not-found': () => new StreamrecError('no model named "x"', { code: 'no-model', status: 404 }),
        'unavailable': () => new StreamrecError('no model is loaded yet: train one', { code: 'no-model', status: 503 }),
        'user': () => new UserError('bad flag'),
        'busy': () => new AnalyticsBusyError('another run is writing'),
        'query': () => new AnalyticsQueryError('limit must be a positive integer, got 0'),
        'log': () => new LogError('the event log is closed'),
        'hidden': () => new StreamrecError('secret details of a bug', { code: 'bug', userFacing: false, status: 503 }),
        'unexpected': () => new Error('secret details of a crash'),
        'fastify-like': () => Object.assign(new Error('Request body is too large'), { statusCode: 413 }),
      };
      app.get<{ Params: { kind: string } }>('/test-errors/:kind', async (req) => {
        throw errors[req.params.kind]!();
      });
    });
  });
  after(async () => {
    await server.close();
    await log.close();
    cleanup();
  });

  const get = async (path: string) => {
    const res = await server.app.inject({ method: 'GET', url: path });
    return { status: res.statusCode, body: res.json<{ statusCode: number; error: string; message: string }>() };
  };

  it('answers a user-facing StreamrecError with its status, reason phrase and message', async () => {
    assert.deepEqual(await get('/test-errors/not-found'), { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'no model named "x"', detail: 'no model named "x"' } });
    assert.deepEqual(await get('/test-errors/unavailable'), { status: 503, body: { statusCode: 503, error: 'Service Unavailable', message: 'no model is loaded yet: train one', detail: 'no model is loaded yet: train one' } });
    assert.deepEqual(await get('/test-errors/user'), { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'bad flag', detail: 'bad flag' } });
    assert.deepEqual(await get('/test-errors/busy'), { status: 503, body: { statusCode: 503, error: 'Service Unavailable', message: 'another run is writing', detail: 'another run is writing' } });
    assert.deepEqual(await get('/test-errors/query'), { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'limit must be a positive integer, got 0', detail: 'limit must be a positive integer, got 0' } });
  });

  it('answers the analytics routes’ errors (now thrown to this handler) as before', async () => {
    assert.deepEqual(await get('/analytics/trending'), { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'no analytics yet: run `streamrec analytics`', detail: 'no analytics yet: run `streamrec analytics`' } });
    const invalid = await get('/analytics/trending?limit=0');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error, 'Bad Request');
    assert.match(invalid.body.message, /limit must be >= 1/);
  });

  it('keeps Fastify’s own 4xx errors (with their reason phrase) and the 404 handler as they were', async () => {
    assert.deepEqual(await get('/test-errors/fastify-like'), { status: 413, body: { statusCode: 413, error: 'Payload Too Large', message: 'Request body is too large', detail: 'Request body is too large' } });
    assert.deepEqual(await get('/nowhere'), { status: 404, body: { statusCode: 404, error: 'Not Found', message: 'no route GET /nowhere', detail: 'no route GET /nowhere' } });
  });

  it('answers anything else 500 without its message, and logs it', async () => {
    for (const kind of ['unexpected', 'hidden', 'log']) {
      logLines.length = 0;
      const r = await get(`/test-errors/${kind}`);
      assert.deepEqual(r, { status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error (see the server log)', detail: 'internal error (see the server log)' } }, kind);
      const logged = logLines.find((l) => l.msg === 'request failed');
      assert.ok(logged, `${kind}: a log line`);
      assert.ok(logged.err && logged.err.message.length > 0, `${kind}: the error is in the log`);
    }
  });
});
