/**
 * The ratings pipeline as a group of processes (`process ratings --group`), through the real CLI:
 * the same deterministic ratings over 6 partitions are processed by one member on the embedded log
 * (the reference) and by 2 or 3 members on NATS JetStream (and on the embedded log shared by
 * processes, over five times the input), one of them killed with SIGKILL mid-run and a new one
 * started. Then:
 * - the final results in `metrics` equal the reference's value for value (all but processing_time),
 *   and so do the late events copied to ratings.late;
 * - the `ratings_raw` lake holds every raw event exactly once, the same events at the same positions.
 * A paused member (SIGSTOP) whose partitions move to a new member while it sleeps finds, once
 * resumed (SIGCONT), its commits refused — and the results are still the reference's. On Kafka
 * (librdkafka's mock cluster: 4 partitions, a small input) 2 members run without a kill.
 * Without a NATS server or kcat those cases say so and skip.
 */
import { describe, it, after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatLogUrl } from '../../src/log/log-url.js';
import { openLog } from '../../src/log/open-log.js';
import { finalResults, ok, sql, start, tail, type CliResult, type RunningCli } from '../helpers/streamrec-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { dropNatsPrefix, freshNatsUrl, natsProblem, natsServer } from '../log/nats-server.js';
import { kafkaMockMissing, startKafkaMock } from '../log/kafka-mock.js';

const EVENTS = 120_000;
const PARTITIONS = 6;
/** The embedded log's input: enough that 2 members are still at work when one is killed. */
const EMBEDDED_EVENTS = 600_000;
/** librdkafka's mock keeps a partition's first few MB only, and creates every topic with 4 partitions. */
const KAFKA_EVENTS = 20_000;
const KAFKA_PARTITIONS = 4;
/** Deterministic ratings: a seed, event times spread over three hours from a fixed start, 3% sent 11–20 min late. */
const generate = (events: number) => [
  'generate', 'ratings', '--count', String(events), '--seed', '11', '--rate', 'max',
  '--from', '2025-11-10T09:00:00Z', '--span', '3h', '--late-fraction', '0.03', '--min-delay', '11m', '--max-delay', '20m',
];
const MEMBER = ['process', 'ratings', '--group', '--exit-when-idle', '--idle-timeout', '2s'];
/** A dead member's partitions move within a second. */
const ENV = { STREAMREC_LEASE_TTL: '1s' };

interface Outcome {
  finals: Record<string, unknown>[];
  late: string[];
  raw: { n: number; d: number; h: string };
}

/** A data dir (and log) holding the ratings topic with its partitions and the generated ratings (none: an empty topic). */
async function prepare(dataDir: string, log?: string, events = EVENTS, partitions = PARTITIONS): Promise<string[]> {
  const where = ['--data-dir', dataDir, ...(log ? ['--log', log] : [])];
  const opened = openLog({ dataDir, log });
  await opened.createTopic('ratings', { partitions });
  await opened.close();
  if (events > 0) await ok([...generate(events), ...where]);
  return where;
}

async function outcome(where: string[]): Promise<Outcome> {
  const finals = await finalResults(where);
  const late = (await tail('ratings.late', where)).map((r) => `${r.headers?.source_partition}/${r.headers?.source_offset} ${r.headers?.counted}`).sort();
  const raw = await sql<Outcome['raw']>(
    'SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS d, ' +
      'bit_xor(hash(source_partition, source_offset, userId, movieId, rating, timestamp)) AS h FROM ratings_raw',
    where,
  );
  return { finals, late, raw };
}

/** Source records the group has committed so far. */
async function committed(dataDir: string, log?: string): Promise<number> {
  const opened = openLog({ dataDir, log });
  try {
    return (await opened.committed('pipeline.ratings', 'ratings')).reduce((sum, o) => sum + o.offset, 0);
  } finally {
    await opened.close();
  }
}

async function waitForCommitted(dataDir: string, log: string | undefined, atLeast: number): Promise<number> {
  for (;;) {
    const n = await committed(dataDir, log);
    if (n >= atLeast) return n;
    await sleep(100);
  }
}

/** What a member printed last: `ratings (member k): N events, F final window results written, R commits refused in T`. */
function summary(r: CliResult): { events: number; finals: number; refused: number } {
  const m = /ratings \(member \d+\): ([\d,]+) events, ([\d,]+) final window results written, ([\d,]+) commits refused/.exec(r.stderr);
  assert.ok(m, `no summary line in:\n${r.stderr}`);
  const n = (s: string) => Number(s.replaceAll(',', ''));
  return { events: n(m[1]!), finals: n(m[2]!), refused: n(m[3]!) };
}

function assertSame(label: string, got: Outcome, reference: Outcome): void {
  assert.equal(got.finals.length, reference.finals.length, `${label}: as many final window results`);
  got.finals.forEach((f, i) => assert.deepStrictEqual(f, reference.finals[i], `${label}: final ${String(f.window_type)}@${String(f.window_start)}`));
  assert.deepEqual(got.late, reference.late, `${label}: the same late events, counted the same way`);
  assert.deepEqual(got.raw, reference.raw, `${label}: the lake holds every raw event once, the same events at the same positions`);
}

const natsMissing = await natsProblem();
const skipNats = natsMissing === null ? false : `no NATS JetStream server at ${natsServer}: ${natsMissing}`;

describe('the ratings pipeline as a group of processes', () => {
  const dirs: (() => void)[] = [];
  after(() => dirs.forEach((cleanup) => cleanup()));
  const fresh = () => {
    const { dir, cleanup } = tempDir('streamrec-group-');
    dirs.push(cleanup);
    return dir;
  };
  let reference: Outcome;
  /** One member on the embedded log over the same input: what every group must give. */
  const referenceRun = async (events: number, partitions: number): Promise<Outcome> => {
    const where = await prepare(fresh(), undefined, events, partitions);
    const r = await ok([...MEMBER, ...where], ENV);
    assert.equal(summary(r).events, events);
    const out = await outcome(where);
    assert.ok(out.finals.length > 300, `${out.finals.length} final window results`);
    assert.ok(out.late.length > events / 100, `${out.late.length} late events`);
    assert.deepEqual(out.raw, { n: events, d: events, h: out.raw.h }, 'the reference lake holds every raw event once');
    return out;
  };

  before(async () => {
    reference = await referenceRun(EVENTS, PARTITIONS);
  });

  /**
   * `members` members over `events` ratings, the first killed with SIGKILL once a tenth of the
   * input is committed, and a new one started; `expected` is one member's outcome over that input.
   */
  async function killOneOf(t: TestContext, members: number, dataDir: string, log?: string, events = EVENTS, expected = reference): Promise<void> {
    const where = await prepare(dataDir, log, events);
    const running = Array.from({ length: members }, () => start([...MEMBER, ...where], ENV));
    // The victim holds partitions; the others join when they can (on a loaded machine a late one
    // would otherwise let the input be done before the kill).
    await running[0]!.waitFor(/partition \d+: taken/);
    await waitForCommitted(dataDir, log, events / 10);
    running[0]!.child.kill('SIGKILL');
    const atKill = await committed(dataDir, log);
    assert.ok(atKill < events, `killed mid-run (${atKill} of ${events} committed)`);
    const replacement = start([...MEMBER, ...where], ENV);
    const ends = await Promise.all([...running.slice(1), replacement].map((m) => m.exited));
    for (const r of ends) assert.equal(r.code, 0, r.stderr);
    assert.equal((await running[0]!.exited).signal, 'SIGKILL');
    const total = ends.map(summary).reduce((s, x) => s + x.finals, 0);
    t.diagnostic(`killed at ${atKill} committed; survivors: ${ends.map((r) => JSON.stringify(summary(r))).join(' ')}`);
    // The victim may have merged some finals before it died; `assertSame` checks that `metrics`
    // holds each final exactly once, whoever wrote it.
    assert.ok(total <= expected.finals.length, `the survivors wrote ${total} finals, more than the ${expected.finals.length} there are`);
    assertSame(`${members} members`, await outcome(where), expected);
  }

  for (const members of [2, 3]) {
    it(`${members} members on NATS, one killed mid-run and replaced, give one member's results`, { skip: skipNats, timeout: 300_000 }, async (t) => {
      const url = freshNatsUrl('group');
      try {
        await killOneOf(t, members, fresh(), formatLogUrl(url));
      } finally {
        await dropNatsPrefix(url);
      }
    });
  }

  // Members on the embedded log go through 120,000 ratings in a fraction of a second, too fast to
  // be killed mid-run: five times as many here, against one member over the same input.
  it("2 members sharing the embedded log, one killed mid-run and replaced, give one member's results", { timeout: 300_000 }, async (t) => {
    const expected = await referenceRun(EMBEDDED_EVENTS, PARTITIONS);
    await killOneOf(t, 2, fresh(), undefined, EMBEDDED_EVENTS, expected);
  });

  it('a group run to its end and run again on more ratings gives what one member gives', { timeout: 300_000 }, async () => {
    /** Two runs with `members` members each, more (and partly late) ratings generated in between. */
    const twoRuns = async (members: number): Promise<Outcome> => {
      const where = await prepare(fresh(), undefined, 30_000);
      const more = ['generate', 'ratings', '--count', '30000', '--seed', '12', '--rate', 'max', '--from', '2025-11-10T11:30:00Z', '--span', '2h', '--late-fraction', '0.03', '--min-delay', '11m', '--max-delay', '20m'];
      for (const round of [0, 1]) {
        if (round === 1) await ok([...more, ...where]);
        const ends = await Promise.all(Array.from({ length: members }, () => start([...MEMBER, ...where], ENV).exited));
        for (const r of ends) assert.equal(r.code, 0, r.stderr);
      }
      return outcome(where);
    };
    const one = await twoRuns(1);
    assert.ok(one.finals.length > 300, `${one.finals.length} final window results`);
    assert.ok(one.late.length > 0, 'the second run has late events: ratings behind where the first ended');
    assertSame('2 members, two runs', await twoRuns(2), one);
  });

  it('a group idle before a backfill of old ratings counts them on time, and closes their windows once idle again', { timeout: 300_000 }, async () => {
    // Three hours of November 2025, 3% sent 11–20 min late (late for some of their windows).
    const backfill = ['generate', 'ratings', '--count', '30000', '--seed', '13', '--rate', 'max', '--from', '2025-11-10T09:00:00Z', '--span', '3h', '--late-fraction', '0.03', '--min-delay', '11m', '--max-delay', '20m'];
    const expected = await (async () => {
      const where = await prepare(fresh(), undefined, 0);
      await ok([...backfill, ...where]);
      await ok([...MEMBER, ...where], ENV);
      return outcome(where);
    })();
    assert.ok(expected.late.length > 0 && expected.late.length < 30_000 / 20, `the reference has a few late events (${expected.late.length})`);

    const dataDir = fresh();
    const where = await prepare(dataDir, undefined, 0);
    // An idle timeout the backfill never pauses for, even on a loaded machine.
    const member = start(['process', 'ratings', '--group', '--idle-timeout', '3s', ...where], ENV);
    try {
      await member.waitFor(/partition \d+: taken/);
      // Idle past the timeout with nothing seen: the watermark must not jump to today.
      await sleep(4000);
      await ok([...backfill, ...where]);
      await waitForCommitted(dataDir, undefined, 30_000);
      // Idle again: the windows holding the ratings close, up to the newest one's end.
      for (let finals = 0; finals < expected.finals.length; finals = (await finalResults(where)).length) await sleep(500);
    } finally {
      member.child.kill('SIGINT');
    }
    assert.equal((await member.exited).code, 0);
    assertSame('a group idle before a backfill', await outcome(where), expected);
  });

  // The mock's input is too small to kill a member mid-run reliably: 2 members and the merge of
  // their partials, against one member over the same 4 partitions.
  it("2 members on Kafka (librdkafka's mock cluster) give one member's results", { skip: kafkaMockMissing() ?? false, timeout: 300_000 }, async (t) => {
    const expected = await referenceRun(KAFKA_EVENTS, KAFKA_PARTITIONS);
    const mock = await startKafkaMock();
    try {
      const dataDir = fresh();
      const where = await prepare(dataDir, `kafka://${mock.servers.join(',')}/group`, KAFKA_EVENTS, KAFKA_PARTITIONS);
      const ends = await Promise.all([start([...MEMBER, ...where], ENV), start([...MEMBER, ...where], ENV)].map((m) => m.exited));
      for (const r of ends) assert.equal(r.code, 0, r.stderr);
      t.diagnostic(`members: ${ends.map((r) => JSON.stringify(summary(r))).join(' ')}`);
      assert.ok(ends.map(summary).reduce((s, x) => s + x.events, 0) >= KAFKA_EVENTS, 'every event processed');
      assertSame('2 members on Kafka', await outcome(where), expected);
    } finally {
      await mock.stop();
    }
  });

  it('a paused member resumed after its partitions moved has its commits refused, and writes nothing twice', { skip: skipNats, timeout: 300_000 }, async (t) => {
    const url = freshNatsUrl('zombie');
    try {
      const dataDir = fresh();
      const log = formatLogUrl(url);
      const where = await prepare(dataDir, log);
      const zombie: RunningCli = start([...MEMBER, ...where], ENV);
      await zombie.waitFor(/partition 5: taken/);
      await waitForCommitted(dataDir, log, EVENTS / 10);
      zombie.child.kill('SIGSTOP');
      const paused = await committed(dataDir, log);
      // Past the lease TTL: a new member finds every lease free and takes all six partitions.
      await sleep(1500);
      const successor = start([...MEMBER, ...where], ENV);
      await successor.waitFor((s) => (s.match(/took over ratings partition/g) ?? []).length === PARTITIONS);
      zombie.child.kill('SIGCONT');
      const [z, s] = await Promise.all([zombie.exited, successor.exited]);
      assert.equal(z.code, 0, z.stderr);
      assert.equal(s.code, 0, s.stderr);
      t.diagnostic(`paused at ${paused} committed; zombie ${JSON.stringify(summary(z))}; successor ${JSON.stringify(summary(s))}`);
      assert.ok(summary(z).refused >= 1, `the resumed member's commits were refused:\n${z.stderr}`);
      assert.match(z.stderr, /commit refused, the partition moved to another member|lost to another member while this one was not heartbeating/);
      assertSame('after a zombie', await outcome(where), reference);
    } finally {
      await dropNatsPrefix(url);
    }
  });
});
