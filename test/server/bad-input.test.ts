/**
 * Bad input, through both doors. Through the log: malformed records appended to the ratings,
 * clicks and commerce sources among good ones, the real pipelines and lake sinks run — every bad
 * record ends in `<topic>.dlq` with its reason, every good one in the windows and the raw lake.
 * Through HTTP: the real server over those results (a trained model, analytics, the three
 * pipelines) takes a few thousand malformed requests across every route it has — read from the
 * app, so a new route is covered — and answers each with a 4xx in the one error shape, never a
 * 5xx, serves nothing outside its files, and is alive after.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runAnalytics } from '../../src/analytics/run-analytics.js';
import { runPipeline } from '../../src/engine/pipeline-runner.js';
import { deadLetterTopic } from '../../src/events/dead-letter.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog, LogRecord, ProducerRecord } from '../../src/log/types.js';
import { ensureCatalogue } from '../../src/movies/catalogue-store.js';
import { RATINGS_PARTITIONS, RATINGS_TOPIC, ratingCodec, type Rating } from '../../src/movies/rating-event.js';
import { CLICKS_BINS_TOPIC, CLICKS_TOPIC, clickCodec, type Click } from '../../src/pipelines/clicks/click-event.js';
import { COMMERCE_TOPICS } from '../../src/pipelines/commerce/commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC, commerceKey, commerceSourceCodecs } from '../../src/pipelines/commerce/commerce-events.js';
import { openPipeline, openPipelinesLake } from '../../src/pipelines/registry.js';
import { METRICS_TOPIC } from '../../src/pipelines/ratings/ratings-topics.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { commerceFixture } from '../pipelines/commerce/fixture.js';
import { storeSynthDataset, trainIntoDataDir } from '../recommend/serving/fixtures.js';
import { BAD_CLICKS, BAD_COMMERCE, BAD_RATINGS, type BadEvent } from '../helpers/bad-events.js';
import { badRequests, RAW_REQUESTS, TRAVERSALS, type BadRequest, type OpenApiDoc } from '../helpers/bad-requests.js';
import { sendBytes, sendRaw, type RawResponse } from '../helpers/raw-http.js';
import { routeTable } from '../helpers/route-table.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
/** Event times two hours back, on a minute: every window is final once the pipelines go idle. */
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / MIN) * MIN;
const GOOD_RATINGS = 600;
const GOOD_CLICKS = 300;
/** Fastify's default body limit: the routes without one of their own take this much. */
const DEFAULT_BODY_LIMIT = 1024 * 1024;

interface Planted {
  /** `partition:offset` of each bad record → what it was. */
  bad: Map<string, BadEvent>;
}

async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const c = log.consumer({ group: `bad-input-read-${topic}-${Math.random()}`, topics: [topic], from: 'earliest' });
  const out: LogRecord[] = [];
  for (let b = await c.poll({ maxRecords: 10_000 }); b.length > 0; b = await c.poll({ maxRecords: 10_000 })) out.push(...b);
  await c.close();
  return out;
}

/**
 * Appends `good` with the bad records spread among them (one after every few good ones), in one
 * send, and returns where each bad record landed.
 */
async function plant(log: EventLog, topic: string, partitions: number, good: ProducerRecord[], bad: BadEvent[]): Promise<Planted> {
  await log.ensureTopic(topic, { partitions });
  const every = Math.max(1, Math.floor(good.length / bad.length));
  const records: ProducerRecord[] = [];
  const which: (BadEvent | null)[] = [];
  let b = 0;
  good.forEach((record, i) => {
    records.push(record);
    which.push(null);
    if (i % every === every - 1 && b < bad.length) {
      records.push({ key: `bad-${b}`, value: bad[b]!.value });
      which.push(bad[b++]!);
    }
  });
  for (; b < bad.length; b++) {
    records.push({ key: `bad-${b}`, value: bad[b]!.value });
    which.push(bad[b]!);
  }
  const producer = log.producer();
  const results = await producer.send(topic, records);
  await producer.close();
  const planted: Planted = { bad: new Map() };
  results.forEach((r, i) => {
    if (which[i]) planted.bad.set(`${r.partition}:${r.offset}`, which[i]!);
  });
  return planted;
}

/** Runs a pipeline as `process <name> --exit-when-idle` does, lake sinks included. */
async function processToEnd(name: string, dataDir: string, log: EventLog): Promise<void> {
  const pipeline = await openPipeline(name, { dataDir, log, idleTimeoutMs: 300 });
  const lake = pipeline.startLake(new AbortController().signal);
  await runPipeline(pipeline.spec, { log, exitWhenIdle: true });
  await lake.finish();
}

/** Every problem with a dead-letter topic against what was planted: missing, unexpected, wrong reason or bytes. */
function deadLetterProblems(topic: string, planted: Planted, dlq: LogRecord[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of dlq) {
    const at = `${r.headers?.source_partition}:${r.headers?.source_offset}`;
    const bad = planted.bad.get(at);
    if (!bad) {
      problems.push(`${topic}.dlq holds ${at}, which was not planted as bad: ${String(r.headers?.reason)}`);
      continue;
    }
    if (seen.has(at)) problems.push(`${topic}.dlq holds ${at} (${bad.what}) twice`);
    seen.add(at);
    if (r.headers?.source_topic !== topic) problems.push(`${bad.what}: source_topic ${r.headers?.source_topic}`);
    if (!bad.reason.test(r.headers?.reason ?? '')) problems.push(`${topic}: ${bad.what}: reason ${JSON.stringify(r.headers?.reason)} does not match ${bad.reason}`);
    if (!Buffer.from(r.value).equals(Buffer.from(bad.value))) problems.push(`${topic}: ${bad.what}: the dead letter's bytes differ from the record's`);
  }
  for (const [at, bad] of planted.bad) if (!seen.has(at)) problems.push(`${topic}: ${bad.what} (${at}) is not in ${topic}.dlq`);
  return problems;
}

/** Why an answer is not the one error shape (`{statusCode, error, message}`, JSON), or null. */
function errorShapeProblem(res: RawResponse): string | null {
  if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) return `content-type ${res.headers['content-type']}: ${res.body.toString().slice(0, 200)}`;
  let body: unknown;
  try {
    body = JSON.parse(res.body.toString('utf8'));
  } catch {
    return `not JSON: ${res.body.toString().slice(0, 200)}`;
  }
  const b = body as { statusCode?: unknown; error?: unknown; message?: unknown };
  if (typeof body !== 'object' || body === null) return `not an object: ${res.body.toString().slice(0, 200)}`;
  if (b.statusCode !== res.status) return `statusCode ${String(b.statusCode)} in a ${res.status}`;
  if (typeof b.error !== 'string' || b.error === '') return `no error: ${res.body.toString().slice(0, 200)}`;
  if (typeof b.message !== 'string' || b.message === '') return `no message: ${res.body.toString().slice(0, 200)}`;
  return null;
}

describe('bad input', () => {
  let dataDir: string;
  let cleanup: () => void;
  let log: EventLog;
  let server: StreamrecServer;
  let base: string;
  const planted: Record<string, Planted> = {};
  const good = { ratings: [] as Rating[], clicks: [] as Click[], commerce: 0, transactions: 0 };
  const savedEnv = { pg: process.env.STREAMREC_POSTGRES_URL, redis: process.env.STREAMREC_REDIS_URL };

  before(async () => {
    // The commerce health route checks only what is configured: nothing here.
    delete process.env.STREAMREC_POSTGRES_URL;
    delete process.env.STREAMREC_REDIS_URL;
    ({ dir: dataDir, cleanup } = tempDir('streamrec-bad-input-'));
    log = openEmbeddedLog({ dataDir });
    const catalogue = await ensureCatalogue({ dataDir, syntheticCount: 200 });
    const movies = catalogue.all().map((m) => m.movieId);

    for (let i = 0; i < GOOD_RATINGS; i++) {
      good.ratings.push({ userId: 1 + (i % 60), movieId: movies[(i * 7) % movies.length]!, rating: 0.5 + (i % 10) / 2, timestamp: T0 + i * 1500 });
    }
    planted.ratings = await plant(log, RATINGS_TOPIC, RATINGS_PARTITIONS,
      good.ratings.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r), timestamp: r.timestamp })), BAD_RATINGS);

    for (let i = 0; i < GOOD_CLICKS; i++) good.clicks.push({ type: i % 3 === 0 ? 'hate' : 'cheers', ts: T0 + i * 200 });
    planted.clicks = await plant(log, CLICKS_TOPIC, 1, good.clicks.map((c) => ({ key: null, value: clickCodec.encode(c), timestamp: c.ts })), BAD_CLICKS);

    // Each commerce event to its topic, as the relay writes them (the server's orders follow `transactions`).
    const events = commerceFixture({ seed: 16, n: 400, start: T0, stepMs: 300 });
    good.commerce = events.length;
    good.transactions = events.filter((e) => e.topic === 'transactions').length;
    for (const topic of COMMERCE_TOPICS) {
      const records = events.filter((e) => e.topic === topic).map((e) => ({ key: commerceKey(e), value: commerceSourceCodecs[topic].encode(e), timestamp: e.timestamp }));
      planted[topic] = await plant(log, topic, 2, records, BAD_COMMERCE.filter((b) => b.topic === topic));
    }

    for (const name of ['ratings', 'clicks', 'commerce']) await processToEnd(name, dataDir, log);
    await runAnalytics({ dataDir });
    const dataset = await storeSynthDataset(dataDir);
    await trainIntoDataDir(dataDir, dataset);
    ({ server, base } = await startTestServer({ log, dataDir, recommend: { pollEveryMs: 0, adminToken: 'bad-input-admin-token' } }));
  });

  after(async () => {
    await server?.close();
    await log?.close();
    cleanup?.();
    if (savedEnv.pg !== undefined) process.env.STREAMREC_POSTGRES_URL = savedEnv.pg;
    if (savedEnv.redis !== undefined) process.env.STREAMREC_REDIS_URL = savedEnv.redis;
  });

  it('dead-letters every malformed event through the log with its reason, and counts every good one around them', async () => {
    const bad = BAD_RATINGS.length + BAD_CLICKS.length + BAD_COMMERCE.length;
    assert.ok(bad >= 50, `${bad} malformed events`);
    const problems = [
      ...deadLetterProblems(RATINGS_TOPIC, planted.ratings!, await readAll(log, deadLetterTopic(RATINGS_TOPIC))),
      ...deadLetterProblems(CLICKS_TOPIC, planted.clicks!, await readAll(log, deadLetterTopic(CLICKS_TOPIC))),
    ];
    for (const topic of COMMERCE_TOPICS) problems.push(...deadLetterProblems(topic, planted[topic]!, await readAll(log, deadLetterTopic(topic))));
    assert.deepEqual(problems, []);

    // The good ones: all in the final windows (none late: their times only move forward) and in the raw lake.
    const finals = (topic: string, windowType?: string) =>
      readAll(log, topic).then((rs) =>
        rs.map((r) => JSON.parse(r.value as string) as { final: boolean; window_type: string; count: number; late_events: number; cheers?: number; hate?: number })
          .filter((r) => r.final && (windowType === undefined || r.window_type === windowType)));
    const ratingFinals = await finals(METRICS_TOPIC, 'tumbling_1min');
    assert.equal(ratingFinals.reduce((s, r) => s + r.count, 0), GOOD_RATINGS, 'every good rating in a final tumbling window');
    assert.equal(ratingFinals.reduce((s, r) => s + r.late_events, 0), 0);
    const bins = await finals(CLICKS_BINS_TOPIC);
    assert.equal(bins.reduce((s, r) => s + r.cheers!, 0), good.clicks.filter((c) => c.type === 'cheers').length);
    assert.equal(bins.reduce((s, r) => s + r.hate!, 0), good.clicks.filter((c) => c.type === 'hate').length);
    const windows = await finals(COMMERCE_WINDOWS_TOPIC);
    assert.equal(windows.reduce((s, r) => s + r.count, 0), good.commerce, 'every good commerce event in a final window');

    const lake = await openPipelinesLake(dataDir);
    try {
      const count = async (sql: string) => Number((await lake.query(sql))[0]!.n);
      assert.equal(await count('SELECT count(*) AS n FROM ratings_raw'), GOOD_RATINGS);
      assert.equal(await count('SELECT count(*) AS n FROM clicks_raw'), GOOD_CLICKS);
      assert.equal(await count('SELECT count(*) AS n FROM commerce_raw'), good.commerce);
      assert.equal(await count('SELECT sum(count) AS n FROM ratings_agg WHERE window_type = \'tumbling_1min\''), GOOD_RATINGS);
      assert.equal(await count('SELECT sum(count) AS n FROM commerce_agg'), good.commerce);
    } finally {
      lake.close();
    }
  });

  it('lists only the well-formed transactions among malformed ones on /commerce/orders', async () => {
    const wanted = good.transactions;
    assert.ok(wanted > 0 && wanted <= 200, `${wanted} transactions: one page holds them all`);
    let orders: { total: unknown; transaction_id: unknown }[] = [];
    // The view follows the topic in the background: poll until it has caught up.
    for (const deadline = Date.now() + 30_000; orders.length !== wanted && Date.now() < deadline; await sleep(100)) {
      const r = await fetch(`${base}/commerce/orders?limit=200`);
      assert.equal(r.status, 200);
      orders = ((await r.json()) as { orders: typeof orders }).orders;
    }
    assert.equal(orders.length, wanted, 'every good transaction, none of the bad ones');
    for (const o of orders) assert.ok(Number.isFinite(o.total) && Number.isSafeInteger(o.transaction_id), JSON.stringify(o));
  });

  it('answers malformed requests on every route with a 4xx in the one error shape, never a 5xx', async (t) => {
    const routes = routeTable(server.app);
    assert.ok(routes.length >= 60, `${routes.length} routes found`);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApiDoc;
    // Every documented operation is in the table (the enumeration misses none the API lists).
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const wanted = `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`;
        assert.ok(routes.some((r) => `${r.method} ${r.path}` === wanted), `${wanted} is in the route table`);
      }
    }
    const requests: BadRequest[] = badRequests(routes, doc, { bodyLimitBytes: DEFAULT_BODY_LIMIT });
    const covered = new Set(requests.map((r) => r.route));
    for (const r of routes) assert.ok(covered.has(`${r.method} ${r.path}`), `malformed requests for ${r.method} ${r.path}`);
    assert.ok(requests.length >= 200, `${requests.length} malformed requests`);

    const failures: string[] = [];
    let clientErrors = 0;
    for (const { route, what, request } of requests) {
      const res = await sendRaw(base, request).catch((err: Error) => err);
      if (res instanceof Error) {
        failures.push(`${route} — ${what}: no answer (${res.message})`);
        continue;
      }
      const where = `${route} — ${what} (${request.method} ${request.path.slice(0, 120)}) → ${res.status}`;
      if (res.status >= 500) failures.push(`${where}: ${res.body.toString().slice(0, 300)}`);
      else if (res.status >= 400) {
        clientErrors++;
        const problem = request.method === 'HEAD' ? null : errorShapeProblem(res);
        if (problem) failures.push(`${where}: ${problem}`);
      }
    }
    t.diagnostic(`${requests.length} malformed requests on ${routes.length} routes: ${clientErrors} answered 4xx, ${requests.length - clientErrors - failures.length} below 400`);
    assert.deepEqual(failures, [], `${failures.length} of ${requests.length} answers wrong`);
    assert.ok(clientErrors >= 200, `${clientErrors} of ${requests.length} answered 4xx`);
  });

  it('serves nothing outside its files for path traversal, plain or encoded', async () => {
    const failures: string[] = [];
    for (const path of TRAVERSALS) {
      for (const method of ['GET', 'HEAD']) {
        const res = await sendRaw(base, { method, path });
        const text = res.body.toString('latin1');
        if (res.status >= 500) failures.push(`${method} ${path.slice(0, 120)} → ${res.status}: ${text.slice(0, 200)}`);
        if (/root:.*:0:0:|"name": "streamrec"/.test(text)) failures.push(`${method} ${path.slice(0, 120)} → ${res.status} served a file outside the web root`);
        if (res.status >= 400 && method === 'GET') {
          const problem = errorShapeProblem(res);
          if (problem) failures.push(`${method} ${path.slice(0, 120)} → ${res.status}: ${problem}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  it('answers requests HTTP itself refuses with a 4xx, or closes the connection, and keeps serving', async () => {
    const failures: string[] = [];
    for (const [what, bytes, expected] of RAW_REQUESTS) {
      const res = await sendBytes(base, bytes);
      const got = `${what}: ${res.status} ${res.body.slice(0, 200)}`;
      if (expected === 'closed') {
        if (res.status !== 0 && !(res.status >= 400 && res.status < 500)) failures.push(got);
      } else if (expected === 'bare 400') {
        if (res.status !== 400) failures.push(got);
      } else if (res.status < 400 || res.status >= 500) {
        failures.push(got);
      } else {
        const problem = errorShapeProblem({ status: res.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(res.body, 'latin1') });
        if (problem) failures.push(`${got}: ${problem}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.equal((await fetch(`${base}/metrics/health`)).status, 200);
  });

  it('names what was wrong where the malformed requests found a gap', async () => {
    const message = (r: RawResponse) => (JSON.parse(r.body.toString()) as { message: string }).message;
    // "Infinity" and "1e309" validated to ±Infinity past minimum/maximum (n=Infinity was a typed array's length: a 500).
    for (const path of ['/recommendations/recommend/1?n=Infinity', '/recommendations/similar/1?n=1e309', '/metrics/history?limit=-Infinity', '/recommendations/recommend/Infinity']) {
      const r = await sendRaw(base, { method: 'GET', path });
      assert.equal(r.status, 400, path);
      assert.match(message(r), /must be a finite number, got -?Infinity/, path);
    }
    // A HEAD of an event stream gets its headers and ends (it was never answered, its connection held open).
    for (const path of ['/metrics/stream', '/metrics/stream?format=events', '/pipelines/ratings/stream', '/clicks/stream', '/commerce/stream']) {
      const r = await sendRaw(base, { method: 'HEAD', path }, 10_000);
      assert.equal(r.status, 200, path);
      assert.match(String(r.headers['content-type']), /^text\/event-stream/, path);
    }
    // Fastify's own body errors name the type and the limit, under their reason phrase.
    const form = await sendRaw(base, { method: 'POST', path: '/clicks', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=cheers' });
    assert.equal(form.status, 415);
    assert.equal((JSON.parse(form.body.toString()) as { error: string }).error, 'Unsupported Media Type');
    assert.match(message(form), /"application\/x-www-form-urlencoded" body: send JSON with "Content-Type: application\/json"/);
    const big = await sendRaw(base, { method: 'POST', path: '/recommendations/predict', headers: { 'content-type': 'application/json' }, body: `{"pad":"${'x'.repeat(DEFAULT_BODY_LIMIT)}"}` });
    assert.equal(big.status, 413);
    assert.equal((JSON.parse(big.body.toString()) as { error: string }).error, 'Payload Too Large');
    assert.match(message(big), /^the body is too large: POST \/recommendations\/predict takes at most \d+ bytes$/);
    const text = await sendRaw(base, { method: 'POST', path: '/clicks', headers: { 'content-type': 'text/plain' }, body: '{"type":"cheers"}' });
    assert.equal(text.status, 400);
    assert.match(message(text), /got text: send it with "Content-Type: application\/json"/);
  });

  it('is alive after', async () => {
    for (const path of ['/metrics/health', '/pipelines/clicks/health', '/commerce/health', '/recommendations/health', '/metrics/summary', '/clicks/data']) {
      const res = await fetch(`${base}${path}`);
      assert.equal(res.status, 200, path);
    }
    const ok = await fetch(`${base}/clicks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"cheers"}' });
    assert.equal(ok.status, 202, 'ingestion still takes a good click');
    // No body or query with __proto__ / constructor.prototype reached an object's prototype.
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });
});
