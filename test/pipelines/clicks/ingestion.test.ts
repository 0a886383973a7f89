/**
 * Click ingestion over real HTTP on 127.0.0.1 and a real SQLite log: bodies, limits, the seed's
 * routes, the generic `/events/<pipeline>`, 503 when the log cannot write, and group commit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import type { EventLog, Producer } from '../../../src/log/types.js';
import type { ClickAccepted, SeedClickerData } from '../../../src/pipelines/clicks/clicks-contract.js';
import { CLICKS_TOPIC } from '../../../src/pipelines/clicks/click-event.js';
import type { StreamrecServer } from '../../../src/server/app.js';
import { startTestServer } from '../../helpers/test-server.js';
import { tempDir } from '../../helpers/tmp.js';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function post(base: string, path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** A log whose producers count their sends (appends), optionally slowing them or failing them as a full disk would. */
function wrapLog(log: EventLog, state: { sends: number; fail: NodeJS.ErrnoException | null; delayMs: number }): EventLog {
  return new Proxy(log, {
    get(target, prop) {
      if (prop === 'producer') {
        return (...args: Parameters<EventLog['producer']>): Producer => {
          const inner = target.producer(...args);
          return {
            send: async (topic, records, options) => {
              state.sends++;
              if (state.fail) throw state.fail;
              if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
              return inner.send(topic, records, options);
            },
            close: () => inner.close(),
          };
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function topicCount(log: EventLog, topic: string): Promise<number> {
  const info = await log.topic(topic);
  return info ? info.partitions.reduce((s, p) => s + p.endOffset - p.startOffset, 0) : 0;
}

describe('click ingestion', () => {
  let dir: string;
  let cleanup: () => void;
  let log: EventLog;
  const state = { sends: 0, fail: null as NodeJS.ErrnoException | null, delayMs: 0 };
  let server: StreamrecServer;
  let base: string;

  before(async () => {
    ({ dir, cleanup } = tempDir());
    log = wrapLog(openEmbeddedLog({ dataDir: dir }), state);
    ({ server, base } = await startTestServer({ log, heartbeatMs: 1000, healthEveryMs: 200 }));
  });
  after(async () => {
    await server.close();
    await log.close();
    cleanup();
  });

  it('takes one click or a batch: 202 with their offsets, in order', async () => {
    const one = await post(base, '/clicks', '{"type":"cheers"}');
    assert.equal(one.status, 202);
    const accepted = one.body as unknown as ClickAccepted;
    assert.equal(accepted.accepted, 1);
    assert.equal(accepted.offsets.length, 1);
    const batch = await post(base, '/clicks', JSON.stringify([{ type: 'hate' }, { type: 'cheers' }, { type: 'hate' }]));
    assert.equal(batch.status, 202);
    const b = batch.body as unknown as ClickAccepted;
    assert.equal(b.accepted, 3);
    assert.deepEqual(b.offsets.map((o) => o.offset), [1, 2, 3].map((i) => accepted.offsets[0]!.offset + i));
    // Durable before the answer: the log holds them already.
    assert.equal(await topicCount(log, CLICKS_TOPIC), 4);
    const consumer = log.consumer({ group: 'check', topics: [CLICKS_TOPIC], from: 'earliest' });
    const records = await consumer.poll({ maxRecords: 10 });
    await consumer.close();
    const clicks = records.map((r) => JSON.parse(r.value as string) as { type: string; ts: number });
    assert.deepEqual(clicks.map((c) => c.type), ['cheers', 'hate', 'cheers', 'hate']);
    assert.ok(clicks.every((c) => Math.abs(c.ts - Date.now()) < 10_000), 'ts stamped by the server');
  });

  it('refuses bad bodies with a 400 naming what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['{"type":"love"}', /unknown click type "love" \(types: cheers, hate\)/],
      ['{"kind":"cheers"}', /needs a "type"/],
      ['{"type":', /JSON/],
      ['"cheers"', /object or an array/],
      ['[]', /empty array/],
      [JSON.stringify([{ type: 'cheers' }, { type: 'x' }]), /event 1: unknown click type "x"/],
      [JSON.stringify([{ type: 'cheers' }, 5]), /event 1: a click is an object/],
      [JSON.stringify(Array.from({ length: 1001 }, () => ({ type: 'hate' }))), /too many events in one request: 1001 \(at most 1000\)/],
    ];
    for (const [body, message] of cases) {
      const r = await post(base, '/clicks', body);
      assert.equal(r.status, 400, body.slice(0, 40));
      assert.match(String(r.body.message), message);
      assert.equal(r.body.statusCode, 400);
      assert.equal(r.body.detail, r.body.message);
    }
  });

  it('answers 413 for a body over the limit', async () => {
    const r = await post(base, '/clicks', JSON.stringify([{ type: 'cheers', pad: 'x'.repeat(70_000) }]));
    assert.equal(r.status, 413);
    assert.match(String(r.body.message), /too large/);
  });

  it('serves the seed routes: POST /kafka/click and GET /kafka/data', async () => {
    const r = await post(base, '/kafka/click', '{"type":"hate"}');
    assert.equal(r.status, 202);
    assert.equal((r.body as unknown as ClickAccepted).accepted, 1);
    assert.equal((await post(base, '/kafka/click', '{"type":"meh"}')).status, 400);
    let data: SeedClickerData | null = null;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      data = (await (await fetch(`${base}/kafka/data`)).json()) as SeedClickerData;
      if (data.recent_events.length >= 5) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(Object.keys(data!).sort(), ['recent_events', 'total_cheers', 'total_hate']);
    assert.equal(typeof data!.total_cheers, 'number');
    assert.equal(typeof data!.total_hate, 'number');
    assert.deepEqual(data!.recent_events.map((e) => e.type), ['cheers', 'hate', 'cheers', 'hate', 'hate']);
    assert.ok(data!.recent_events.every((e) => typeof e.timestamp === 'number' && e.timestamp <= Date.now()));
  });

  it('takes events for any pipeline that declares ingestion at POST /events/<pipeline>', async () => {
    const before = await topicCount(log, CLICKS_TOPIC);
    const r = await post(base, '/events/clicks', JSON.stringify([{ type: 'cheers' }, { type: 'cheers' }]));
    assert.equal(r.status, 202);
    assert.equal((r.body as unknown as ClickAccepted).accepted, 2);
    assert.equal(await topicCount(log, CLICKS_TOPIC), before + 2);
    const bad = await post(base, '/events/clicks', '{"type":"boo"}');
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /unknown click type "boo"/);
    const commerce = await post(base, '/events/commerce', '{"userId":1}');
    assert.equal(commerce.status, 404);
    assert.match(String(commerce.body.message), /pipeline commerce takes no events over HTTP; pipelines that take events: ratings, clicks/);
    const unknown = await post(base, '/events/nope', '{}');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.message), /no pipeline nope; pipelines that take events: ratings, clicks/);
  });

  it('shares appends between concurrent requests (group commit), each answered with its own offsets', async () => {
    const sendsBefore = state.sends;
    const n = 200;
    // Each append takes 100 ms: the requests that arrive meanwhile must share the next one, however
    // slowly a loaded machine delivers them.
    state.delayMs = 100;
    const started = Date.now();
    let answers: Answer[];
    try {
      answers = await Promise.all(Array.from({ length: n }, (_, i) => post(base, '/clicks', JSON.stringify(i % 2 ? { type: 'cheers' } : [{ type: 'hate' }, { type: 'hate' }]))));
    } finally {
      state.delayMs = 0;
    }
    const elapsed = Date.now() - started;
    assert.ok(answers.every((a) => a.status === 202));
    const appends = state.sends - sendsBefore;
    assert.ok(appends <= Math.ceil(elapsed / 100) + 1, `${appends} appends in ${elapsed} ms: one at a time, the others waiting for it`);
    assert.ok(appends < n / 2, `${appends} appends for ${n} requests`);
    const offsets = answers.flatMap((a) => (a.body as unknown as ClickAccepted).offsets.map((o) => o.offset));
    assert.equal(offsets.length, n / 2 + n);
    assert.equal(new Set(offsets).size, offsets.length, 'no offset given twice');
  });

  it('answers 503 with Retry-After, acknowledging nothing, while the disk refuses writes; stops trying but once a second; 202 again by itself once it can', async () => {
    // A fake full disk (the real one is in disk-full.test.ts): the log wrapper throws what
    // better-sqlite3 / fs throw then (an ENOSPC-coded error) from the append.
    const before = await topicCount(log, CLICKS_TOPIC);
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
    state.fail = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    try {
      const r = await post(base, '/clicks', '{"type":"cheers"}');
      assert.equal(r.status, 503);
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      assert.match(String(r.body.message), /^the event log cannot take writes \(the disk is full: SQLITE_FULL: database or disk is full\); nothing was acknowledged: retry later$/);
      // The gate is closed: the next requests are refused without touching the log.
      const sends = state.sends;
      const batch = await Promise.all(Array.from({ length: 5 }, () => post(base, '/clicks', '[{"type":"hate"}]')));
      assert.ok(batch.every((a) => a.status === 503 && Number(a.headers.get('retry-after')) >= 1));
      assert.match(String(batch[0]!.body.message), /disk is full/);
      assert.ok(state.sends - sends <= 1, `${state.sends - sends} appends tried while the disk was full`);
      assert.equal(lines.filter((l) => /ingestion into clicks paused: the disk is full \(SQLITE_FULL: database or disk is full\); POSTs answer 503/.test(l)).length, 1, lines.join(''));
    } finally {
      state.fail = null;
    }
    try {
      // Space is back: within a probe interval a request goes through, and the gate opens.
      let answer: Answer | null = null;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && answer?.status !== 202) {
        answer = await post(base, '/clicks', '{"type":"cheers"}');
        if (answer.status !== 202) await new Promise((res) => setTimeout(res, 100));
      }
      assert.equal(answer?.status, 202);
      assert.ok(lines.some((l) => /ingestion into clicks resumed: the event log takes writes again/.test(l)), lines.join(''));
    } finally {
      process.stderr.write = write;
    }
    assert.equal(await topicCount(log, CLICKS_TOPIC), before + 1, 'only the click answered 202 was appended');
  });
});

describe('click ingestion limits', () => {
  it('answers 429 with Retry-After over the configured per-client rate', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    process.env.STREAMREC_CLICKS_RATE_LIMIT = '5';
    try {
      const { server, base } = await startTestServer({ log });
      try {
        const answers: Answer[] = [];
        for (let i = 0; i < 8; i++) answers.push(await post(base, '/clicks', '{"type":"cheers"}'));
        assert.equal(answers.filter((a) => a.status === 202).length, 5);
        const refused = answers.find((a) => a.status === 429)!;
        assert.ok(refused, 'a 429');
        assert.ok(Number(refused.headers.get('retry-after')) >= 1);
        assert.match(String(refused.body.message), /at most 5 a second per client/);
        assert.equal(await topicCount(log, CLICKS_TOPIC), 5);
      } finally {
        await server.close();
      }
    } finally {
      delete process.env.STREAMREC_CLICKS_RATE_LIMIT;
      await log.close();
      cleanup();
    }
  });

  it('answers 503 with Retry-After when the log it appends through is closed', async () => {
    // The server reads through one connection and appends through a second one on the same
    // file, which the test closes: appends meet the real "closed log" error, reads go on.
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    const writer = openEmbeddedLog({ dataDir: dir });
    const served = new Proxy(log, {
      get(target, prop) {
        if (prop === 'producer') return writer.producer.bind(writer);
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    try {
      const { server, base } = await startTestServer({ log: served });
      try {
        assert.equal((await post(base, '/clicks', '{"type":"cheers"}')).status, 202);
        await writer.close();
        const r = await post(base, '/clicks', '{"type":"cheers"}');
        assert.equal(r.status, 503);
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.match(String(r.body.message), /the event log cannot take writes \(the event log is closed\)/);
        assert.equal(await topicCount(log, CLICKS_TOPIC), 1);
      } finally {
        await server.close();
      }
    } finally {
      await log.close();
      cleanup();
    }
  });
});
