/**
 * Admin routes behind a bearer token, on a real server: every write route that is not public
 * ingestion asks for the token (401 without or with a wrong one, the one error body, constant-time
 * compare), public ingestion stays open, a server with no token answers admin routes on this
 * machine only (403 from elsewhere), and listening beyond loopback without a token warns.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { bearerMatches, isAdminRoute, isLoopbackAddress, isLoopbackHost, PUBLIC_WRITES } from '../../src/server/admin-access.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { exposureWarning, listen } from '../../src/server/listen.js';
import { startServerInTempDir } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

interface Answer {
  status: number;
  headers: Headers;
  body: { statusCode?: number; error?: string; message?: string; detail?: string } & Record<string, unknown>;
}

async function request(base: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

/** Every write route the OpenAPI document lists, as `METHOD /path` with Fastify's `:param`s. */
async function writeRoutes(base: string): Promise<string[]> {
  const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const routes: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const method of Object.keys(methods)) {
      if (['post', 'put', 'patch', 'delete'].includes(method)) routes.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  }
  return routes.sort();
}

/** A concrete URL for a route pattern. */
function urlOf(path: string): string {
  return path.replace(':pipeline', 'clicks');
}

describe('admin routes with a token', () => {
  let server: StreamrecServer;
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, base, close } = await startServerInTempDir({ adminToken: 's3cret-Token', recommend: { pollEveryMs: 0 } }));
  });
  after(() => close());

  it('knows every write route: the public ingestion routes and reload, nothing unguarded by accident', async () => {
    assert.deepEqual(await writeRoutes(base), [...PUBLIC_WRITES, 'POST /recommendations/reload'].sort());
  });

  it('answers an admin route 401 without the token, with the one error body and WWW-Authenticate', async () => {
    for (const route of (await writeRoutes(base)).filter((r) => !PUBLIC_WRITES.includes(r))) {
      const [method, path] = route.split(' ') as [string, string];
      const r = await request(base, method, urlOf(path), '{}');
      assert.equal(r.status, 401, route);
      assert.equal(r.headers.get('www-authenticate'), 'Bearer');
      assert.deepEqual(Object.keys(r.body).sort(), ['detail', 'error', 'message', 'statusCode']);
      assert.equal(r.body.statusCode, 401);
      assert.equal(r.body.error, 'Unauthorized');
      assert.match(r.body.message!, /admin route: send "Authorization: Bearer <token>".*--admin-token or STREAMREC_ADMIN_TOKEN/);
      assert.equal(r.body.detail, r.body.message);
    }
  });

  it('answers 401 to a wrong token, a token of another length, and other schemes', async () => {
    for (const authorization of ['Bearer s3cret-token', 'Bearer s3cret-Token2', 'Bearer s', 'Basic czNjcmV0LVRva2Vu', 's3cret-Token', 'Bearer', 'Bearer s3cret-Token extra']) {
      const r = await request(base, 'POST', '/recommendations/reload', '{}', { authorization });
      assert.equal(r.status, 401, authorization);
      assert.match(r.body.message!, /the admin token sent does not match/, authorization);
    }
  });

  it('lets the right token through (any case of "Bearer"), from loopback and from elsewhere', async () => {
    for (const authorization of ['Bearer s3cret-Token', 'bearer   s3cret-Token']) {
      const r = await request(base, 'POST', '/recommendations/reload', '{}', { authorization });
      // Past the check: no model is trained in this data dir, so the reload itself answers 503.
      assert.equal(r.status, 503, authorization);
    }
    const remote = await server.app.inject({ method: 'POST', url: '/recommendations/reload', remoteAddress: '192.0.2.7', headers: { authorization: 'Bearer s3cret-Token' } });
    assert.equal(remote.statusCode, 503);
    const remoteWithout = await server.app.inject({ method: 'POST', url: '/recommendations/reload', remoteAddress: '192.0.2.7' });
    assert.equal(remoteWithout.statusCode, 401);
  });

  it('keeps public ingestion and predict open without a token', async () => {
    assert.equal((await request(base, 'POST', '/clicks', '{"type":"cheers"}')).status, 202);
    assert.equal((await request(base, 'POST', '/kafka/click', '{"type":"hate"}')).status, 202);
    assert.equal((await request(base, 'POST', '/events/clicks', '[{"type":"cheers"}]')).status, 202);
    assert.equal((await request(base, 'POST', '/recommendations/predict', '{"user_id":1,"movie_id":1}')).status, 503, 'no model, but not refused');
    const remote = await server.app.inject({ method: 'POST', url: '/clicks', remoteAddress: '192.0.2.7', payload: { type: 'cheers' } });
    assert.equal(remote.statusCode, 202);
  });

  it('leaves reads open', async () => {
    assert.equal((await request(base, 'GET', '/metrics/health')).status, 200);
    assert.equal((await request(base, 'GET', '/recommendations/health')).status, 200);
  });
});

describe('admin routes without a token', () => {
  let server: StreamrecServer;
  let base: string;
  let close: () => Promise<void>;

  before(async () => {
    ({ server, base, close } = await startServerInTempDir({ recommend: { pollEveryMs: 0 } }));
  });
  after(() => close());

  it('answers clients on this machine', async () => {
    assert.equal(server.adminTokenSet, false);
    assert.equal((await request(base, 'POST', '/recommendations/reload', '{}')).status, 503, 'past the check (nothing to load)');
    const v6 = await server.app.inject({ method: 'POST', url: '/recommendations/reload', remoteAddress: '::1' });
    assert.equal(v6.statusCode, 503);
  });

  it('answers 403 to other machines, saying how to set a token', async () => {
    for (const remoteAddress of ['192.0.2.7', '10.0.0.1', '::ffff:203.0.113.9', '2001:db8::1']) {
      const r = await server.app.inject({ method: 'POST', url: '/recommendations/reload', remoteAddress });
      assert.equal(r.statusCode, 403, remoteAddress);
      const body = r.json<Answer['body']>();
      assert.equal(body.error, 'Forbidden');
      assert.match(body.message!, /admin route and this server has no admin token.*--admin-token <token> \(or STREAMREC_ADMIN_TOKEN\)/);
    }
    const ingest = await server.app.inject({ method: 'POST', url: '/kafka/click', remoteAddress: '192.0.2.7', payload: { type: 'cheers' } });
    assert.equal(ingest.statusCode, 202, 'ingestion stays public');
  });
});

describe('listening beyond this machine', () => {
  it('warns once when no admin token is set, and not with one or on loopback', async () => {
    const t = tempDir();
    const log = openEmbeddedLog({ dataDir: t.dir });
    try {
      for (const [host, adminToken, warns] of [['0.0.0.0', undefined, true], ['0.0.0.0', 'tok', false], ['127.0.0.1', undefined, false]] as const) {
        const warnings: string[] = [];
        const server = await listen({ log, port: 0, host, logger: false, recommend: false, adminToken, onWarning: (line) => warnings.push(line) });
        await server.close();
        assert.equal(warnings.length, warns ? 1 : 0, `${host} ${adminToken ?? 'no token'}: ${warnings.join(' | ')}`);
        if (warns) assert.match(warnings[0]!, /^listening on 0\.0\.0\.0 with no admin token: .*set --admin-token <token> \(or STREAMREC_ADMIN_TOKEN\)/);
      }
    } finally {
      await log.close();
      t.cleanup();
    }
  });

  it('tells loopback from other hosts and addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) assert.equal(isLoopbackHost(host), false, host);
    assert.equal(isLoopbackAddress('::ffff:127.0.0.1'), true);
    assert.equal(isLoopbackAddress(undefined), false);
    assert.equal(exposureWarning('::', false)?.startsWith('listening on :: with no admin token'), true);
    assert.equal(exposureWarning('::', true), null);
  });
});

describe('the admin rules', () => {
  it('makes every write route admin unless it is public ingestion or declared public', () => {
    assert.equal(isAdminRoute({ method: 'POST', url: '/recommendations/reload' }), true);
    assert.equal(isAdminRoute({ method: 'DELETE', url: '/anything' }), true);
    assert.equal(isAdminRoute({ method: ['GET', 'PUT'], url: '/x' }), true);
    assert.equal(isAdminRoute({ method: 'PATCH', url: '/x', config: { access: 'public' } }), false);
    assert.equal(isAdminRoute({ method: 'POST', url: '/clicks' }), false);
    assert.equal(isAdminRoute({ method: 'GET', url: '/metrics/health' }), false);
  });

  it('matches bearer tokens exactly', () => {
    assert.equal(bearerMatches('Bearer abc', 'abc'), true);
    assert.equal(bearerMatches('BEARER abc ', 'abc'), true);
    for (const header of [undefined, '', 'Bearer abcd', 'Bearer ab', 'Bearer abc def', 'Token abc', 'abc']) assert.equal(bearerMatches(header, 'abc'), false, String(header));
  });
});
