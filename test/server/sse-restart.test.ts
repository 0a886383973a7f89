/**
 * Last-Event-ID across a server restart: event ids carry the run's id, so a client that
 * reconnects to a restarted server (same data dir) with an id from the previous run gets a fresh
 * snapshot — never the new run's events that happen to have the same numbers. Unparseable ids get
 * a snapshot too.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { StreamrecServer } from '../../src/server/app.js';
import { eventNumber, sseConnect, waitFor, type ReceivedEvent } from '../helpers/sse-client.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';

const STREAMS = [
  { path: '/metrics/stream?format=events', hub: (s: StreamrecServer) => s.hub },
  { path: '/pipelines/clicks/stream', hub: (s: StreamrecServer) => s.pipelines.get('clicks')!.hub },
];

/** Connects with `lastEventId` and returns the first events once `enough` says so. */
async function reconnect(base: string, path: string, lastEventId: string | null, enough: (events: ReceivedEvent[]) => boolean): Promise<ReceivedEvent[]> {
  const client = sseConnect(`${base}${path}`, lastEventId === null ? {} : { 'Last-Event-ID': lastEventId });
  try {
    await waitFor(() => enough(client.events), 10_000, `events on ${path} after ${lastEventId}`);
    return [...client.events];
  } finally {
    client.close();
  }
}

const runOf = (id: string | null) => (id ?? '').slice(0, (id ?? '').lastIndexOf('-'));

describe('Last-Event-ID across server runs', () => {
  it('gives a client of the previous run a fresh snapshot, never the new run\'s events', async () => {
    const t = tempDir();
    try {
      // First run: a client follows, sees a few events, and keeps the last id it saw.
      let log = openEmbeddedLog({ dataDir: t.dir });
      let { server, base } = await startTestServer({ log, recommend: false });
      const lastSeen = new Map<string, string>();
      for (const { path, hub } of STREAMS) {
        const client = sseConnect(`${base}${path}`);
        try {
          await waitFor(() => client.events.some((e) => e.event === 'snapshot'), 10_000, 'first snapshot');
          for (let i = 0; i < 3; i++) hub(server).publish('test', { run: 1, i });
          await waitFor(() => client.events.filter((e) => e.event === 'test').length === 3, 10_000, 'three events');
          lastSeen.set(path, client.events.filter((e) => e.event === 'test').at(-1)!.id!);
        } finally {
          client.close();
        }
      }
      const firstRun = runOf(lastSeen.get(STREAMS[0]!.path)!);
      assert.match(firstRun, /^[0-9a-f]{8}$/);
      assert.equal(runOf(lastSeen.get(STREAMS[1]!.path)!), firstRun, 'one run id for every stream of a server');
      await server.close();
      await log.close();

      // Second run on the same data dir: more events than the first run had, so its numbers pass
      // the old ids — a bare counter would replay them as if the client had missed them.
      log = openEmbeddedLog({ dataDir: t.dir });
      ({ server, base } = await startTestServer({ log, recommend: false }));
      try {
        for (const { path, hub } of STREAMS) {
          const numbers = Array.from({ length: 10 }, (_, i) => hub(server).publish('test', { run: 2, i }));
          const old = lastSeen.get(path)!;
          const events = await reconnect(base, path, old, (es) => es.some((e) => e.event === 'snapshot'));
          assert.equal(events[0]!.event, 'snapshot', `${path}: a fresh snapshot first`);
          assert.ok(!events.some((e) => e.event === 'test'), `${path}: none of the new run's events replayed`);
          assert.notEqual(runOf(events[0]!.id), firstRun, 'the new run has its own id');
          assert.ok(eventNumber(events[0]!.id) >= numbers.at(-1)!, 'the snapshot is stamped with the newest id');

          // A client of this run still resumes where it was.
          const current = `${runOf(events[0]!.id)}-${numbers[6]}`;
          const resumed = await reconnect(base, path, current, (es) => es.filter((e) => e.event === 'test').length >= 3);
          assert.ok(!resumed.some((e) => e.event === 'snapshot'), `${path}: a replay, not a snapshot`);
          assert.deepEqual(resumed.filter((e) => e.event === 'test').map((e) => (JSON.parse(e.data) as { i: number }).i), [7, 8, 9]);
        }
      } finally {
        await server.close();
        await log.close();
      }
    } finally {
      t.cleanup();
    }
  });

  it('answers an id it cannot use with a snapshot', async () => {
    const t = tempDir();
    const log = openEmbeddedLog({ dataDir: t.dir });
    const { server, base } = await startTestServer({ log, recommend: false });
    try {
      for (let i = 0; i < 5; i++) server.hub.publish('test', { i });
      const run = server.hub.runId;
      const bad = ['', '3', '-3', 'abc', `${run}-`, `${run}-x`, `${run}-99`, `${run}-1e2`, `${run}-99999999999999999999`, `deadbeef-3`, `${run}-3-3`, `../${run}-3`, `${run} -3`];
      for (const id of bad) {
        const events = await reconnect(base, '/metrics/stream?format=events', id, (es) => es.length > 0);
        assert.equal(events[0]!.event, 'snapshot', JSON.stringify(id));
      }
    } finally {
      await server.close();
      await log.close();
      t.cleanup();
    }
  });
});
