/**
 * What a browser is told, on a real server: security headers (helmet) on the pages and the API,
 * with a Content Security Policy the dashboard lives with; CORS off by default, and with an
 * allow-list only for the origins on it — the event streams included.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { HELMET, helmetHeaders } from '../../src/server/browser-policy.js';
import { sseConnect, waitFor } from '../helpers/sse-client.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

const ALLOWED = 'https://dash.example';
const OTHER = 'https://evil.example';

describe('security headers and CORS', () => {
  let t: ReturnType<typeof tempDir>;
  let log: EventLog;
  let plain: { server: StreamrecServer; base: string };
  let cors: { server: StreamrecServer; base: string };

  before(async () => {
    t = tempDir();
    log = openEmbeddedLog({ dataDir: t.dir });
    plain = await startTestServer({ log, recommend: false, corsOrigins: [] });
    cors = await startTestServer({ log, recommend: false, corsOrigins: [ALLOWED, 'http://localhost:5173'] });
  });
  after(async () => {
    await plain.server.close();
    await cors.server.close();
    await log.close();
    t.cleanup();
  });

  it('sends security headers with the dashboard, the docs and the API', async () => {
    for (const path of ['/', '/index.html', '/analytics.html', '/docs/', '/metrics/health']) {
      const res = await fetch(`${plain.base}${path}`);
      assert.equal(res.status, 200, path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, `${path}: scripts from this origin only (no inline, no eval)`);
      assert.match(csp, /connect-src 'self'/, `${path}: fetch and EventSource to this origin`);
      assert.match(csp, /frame-ancestors 'self'/, path);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/, `${path}: the server speaks plain HTTP`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN', path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(res.headers.get('strict-transport-security'), null, `${path}: no HSTS over plain HTTP`);
      await res.arrayBuffer();
    }
  });

  it('sends every header helmet sets for the policy, on every answer (helmet run once, its headers replayed)', async () => {
    const { set, removed } = helmetHeaders(HELMET);
    assert.deepEqual(set.map(([name]) => name.toLowerCase()).sort(), [
      'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'origin-agent-cluster', 'referrer-policy',
      'x-content-type-options', 'x-dns-prefetch-control', 'x-download-options', 'x-frame-options', 'x-permitted-cross-domain-policies', 'x-xss-protection',
    ]);
    assert.deepEqual(removed, ['X-Powered-By']);
    for (const [path, status] of [['/metrics/health', 200], ['/no-such-page', 404], ['/docs/json', 200]] as const) {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${plain.base}${path}`);
        assert.equal(res.status, status, path);
        for (const [name, value] of set) assert.equal(res.headers.get(name), value, `${path}: ${name}`);
        assert.equal(res.headers.get('x-powered-by'), null);
        await res.arrayBuffer();
      }
    }
  });

  it('sends no CORS headers by default, whatever the origin', async () => {
    const res = await fetch(`${plain.base}/metrics/health`, { headers: { origin: ALLOWED } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
    const preflight = await fetch(`${plain.base}/clicks`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    await preflight.arrayBuffer();
  });

  it('allows the listed origins only', async () => {
    for (const origin of [ALLOWED, 'http://localhost:5173']) {
      const res = await fetch(`${cors.base}/metrics/health`, { headers: { origin } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      assert.match(res.headers.get('vary') ?? '', /Origin/i);
      await res.arrayBuffer();
    }
    for (const origin of [OTHER, 'http://localhost:5174', 'https://dash.example.evil.example']) {
      const res = await fetch(`${cors.base}/metrics/health`, { headers: { origin } });
      assert.equal(res.headers.get('access-control-allow-origin'), null, origin);
      await res.arrayBuffer();
    }
  });

  it('answers preflights for the allowed origins (an ingestion POST with JSON)', async () => {
    const ok = await fetch(`${cors.base}/clicks`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(ok.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.match(ok.headers.get('access-control-allow-headers') ?? '', /content-type/i);
    const refused = await fetch(`${cors.base}/clicks`, { method: 'OPTIONS', headers: { origin: OTHER, 'access-control-request-method': 'POST' } });
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    await Promise.all([ok.arrayBuffer(), refused.arrayBuffer()]);
  });

  it('lets Retry-After be read cross-origin and puts CORS headers on error answers', async () => {
    const res = await fetch(`${cors.base}/nowhere`, { headers: { origin: ALLOWED } });
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
    await res.arrayBuffer();
  });

  it('puts the CORS headers on event streams too (their head is written by the stream)', async () => {
    const allowed = sseConnect(`${cors.base}/pipelines/ratings/stream`, { origin: ALLOWED });
    const other = sseConnect(`${cors.base}/pipelines/ratings/stream`, { origin: OTHER });
    try {
      await waitFor(() => allowed.events.length > 0 && other.events.length > 0, 10_000, 'both snapshots');
      assert.match(String(allowed.headers['content-type']), /^text\/event-stream/);
      assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      allowed.close();
      other.close();
    }
  });

  it('allows any origin with *', async () => {
    const any = await startTestServer({ log, recommend: false, corsOrigins: ['*'] });
    try {
      const res = await fetch(`${any.base}/metrics/health`, { headers: { origin: OTHER } });
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      await res.arrayBuffer();
    } finally {
      await any.server.close();
    }
  });
});
