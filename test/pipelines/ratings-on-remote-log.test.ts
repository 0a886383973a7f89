/**
 * The ratings pipeline through the real CLI on a remote event log, against the embedded log: the
 * same deterministic ratings (seed, backfilled event times, late events) are generated into an
 * embedded data dir and into NATS JetStream under a fresh prefix (and into librdkafka's mock Kafka
 * cluster), `process ratings --exit-when-idle` runs on each, and then:
 * - the final window results in `metrics` are identical value for value (all but processing_time),
 *   and so are the late events copied to ratings.late (by source position and whether they counted);
 * - the `ratings_raw` lake holds every raw event exactly once, the same events at the same source
 *   positions (a fingerprint over all columns), and `ratings_agg` one row per final, the same rows;
 * - `topics` lists the topics on the remote log, the source keyed into the same partitions (murmur2),
 *   and the pipeline's and lake sinks' groups with no lag left.
 * Without a NATS server (or kcat for the Kafka mock) a case says so and skips. Each remote run's
 * streams are deleted at the end (the Kafka mock has no DeleteTopics: it is stopped instead).
 */
import { describe, it, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogUrl } from '../../src/log/log-url.js';
import { finalResults, ok, sql, tail } from '../helpers/streamrec-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { dropNatsPrefix, freshNatsUrl, natsProblem, natsServer } from '../log/nats-server.js';
import { kafkaMockMissing, startKafkaMock } from '../log/kafka-mock.js';

const EVENTS = 20_000;
/** Deterministic ratings: a seed, event times spread over two hours from a fixed start, 3% sent 11–20 min late. */
const GENERATE = [
  'generate', 'ratings', '--count', String(EVENTS), '--seed', '7', '--rate', 'max',
  '--from', '2025-11-10T09:00:00Z', '--span', '2h', '--late-fraction', '0.03', '--min-delay', '11m', '--max-delay', '20m',
];
/** 2 s of silence ends the run (the default 10 s only makes the test slower; the results are the same). */
const PROCESS = ['process', 'ratings', '--exit-when-idle', '--idle-timeout', '2s', '--no-standby'];

interface TopicsJson {
  topics: { name: string; partitions: { partition: number; startOffset: number; endOffset: number }[] }[];
  groups: { group: string; topic: string; partition: number; committed: number; endOffset: number; lag: number }[];
}

interface Run {
  generateMs: number;
  processMs: number;
  summary: string;
  /** The final results in `metrics`, without processing_time, in window order. */
  finals: Record<string, unknown>[];
  /** ratings.late by source position, and whether the event still counted in some window. */
  late: string[];
  raw: { n: number; d: number; h: string };
  agg: { n: number; w: number; h: string };
  topics: TopicsJson;
}

/** Generates, processes and reads back the results in `dataDir` on `log` (absent: the embedded log). */
async function pipelineRun(dataDir: string, log?: string): Promise<Run> {
  const where = ['--data-dir', dataDir, ...(log ? ['--log', log] : [])];
  const generate = await ok([...GENERATE, ...where]);
  const processed = await ok([...PROCESS, ...where]);
  const summary = /ratings: [\d,]+ events, .*/.exec(processed.stderr)?.[0] ?? processed.stderr;

  const finals = await finalResults(where);
  const late = (await tail('ratings.late', where)).map((r) => `${r.headers?.source_partition}/${r.headers?.source_offset} ${r.headers?.counted}`).sort();
  const raw = await sql<Run['raw']>(
    'SELECT count(*) AS n, count(DISTINCT (source_partition, source_offset)) AS d, ' +
      'bit_xor(hash(source_partition, source_offset, userId, movieId, rating, timestamp)) AS h FROM ratings_raw',
    where,
  );
  const agg = await sql<Run['agg']>(
    'SELECT count(*) AS n, count(DISTINCT (window_type, window_start)) AS w, ' +
      'bit_xor(hash(window_type, window_start, window_end, count, avg_rating, p50_rating, p95_rating, late_events)) AS h FROM ratings_agg',
    where,
  );
  const topics = JSON.parse((await ok(['topics', '--json', ...where])).stdout) as TopicsJson;
  return { generateMs: generate.ms, processMs: processed.ms, summary, finals, late, raw, agg, topics };
}

const endOffsets = (t: TopicsJson, name: string) => t.topics.find((x) => x.name === name)?.partitions.map((p) => p.endOffset);

/** The remote run's results are the embedded run's, and its log lists what the pipeline wrote. */
function assertSameAsEmbedded(t: TestContext, label: string, remote: Run, embedded: Run): void {
  t.diagnostic(`embedded: generate ${embedded.generateMs} ms, process ${embedded.processMs} ms (${embedded.summary})`);
  t.diagnostic(`${label}: generate ${remote.generateMs} ms, process ${remote.processMs} ms (${remote.summary})`);

  assert.ok(embedded.finals.length > 200, `${embedded.finals.length} final window results`);
  assert.ok(embedded.late.length > 100, `${embedded.late.length} late events`);
  assert.equal(remote.finals.length, embedded.finals.length, 'as many final window results');
  remote.finals.forEach((f, i) => assert.deepStrictEqual(f, embedded.finals[i], `final ${String(f.window_type)}@${String(f.window_start)}`));
  assert.deepEqual(remote.late, embedded.late, 'the same late events, counted the same way');

  assert.deepEqual(embedded.raw, { n: EVENTS, d: EVENTS, h: embedded.raw.h }, 'embedded lake: every raw event once');
  assert.deepEqual(remote.raw, embedded.raw, `${label} lake: every raw event once, the same events at the same positions`);
  assert.deepEqual(embedded.agg, { n: embedded.finals.length, w: embedded.finals.length, h: embedded.agg.h }, 'embedded lake: one row per final');
  assert.deepEqual(remote.agg, embedded.agg, `${label} lake: the same final rows`);

  const names = remote.topics.topics.map((x) => x.name);
  for (const name of ['ratings', 'metrics', 'ratings.late']) assert.ok(names.includes(name), `${label} topics lists ${name}: ${names.join(', ')}`);
  assert.deepEqual(endOffsets(remote.topics, 'ratings'), endOffsets(embedded.topics, 'ratings'), 'the same keys in the same source partitions');
  assert.equal(endOffsets(remote.topics, 'ratings')!.reduce((s, n) => s + n, 0), EVENTS);
  const groups = new Set(remote.topics.groups.map((g) => g.group));
  for (const group of ['pipeline.ratings', 'lake-ratings-raw', 'lake-ratings-agg']) assert.ok(groups.has(group), `${label} topics lists group ${group}`);
  for (const g of remote.topics.groups) assert.equal(g.lag, 0, `${g.group} ${g.topic}/${g.partition}: nothing left to read`);
}

const natsMissing = await natsProblem();
const kafkaMissing = kafkaMockMissing();

describe('the ratings pipeline through the CLI on a remote log', () => {
  const dirs: (() => void)[] = [];
  after(() => dirs.forEach((cleanup) => cleanup()));
  const fresh = () => {
    const { dir, cleanup } = tempDir('streamrec-remote-ratings-');
    dirs.push(cleanup);
    return dir;
  };
  let embeddedRun: Promise<Run> | undefined;
  /** The embedded log's run, once for both cases. */
  const embedded = () => (embeddedRun ??= pipelineRun(fresh()));

  it(
    `gives the embedded log's results on NATS JetStream at ${natsServer}`,
    { skip: natsMissing === null ? false : `no NATS JetStream server: ${natsMissing}`, timeout: 600_000 },
    async (t) => {
      const base = await embedded();
      const url = freshNatsUrl('ratings');
      try {
        assertSameAsEmbedded(t, 'NATS', await pipelineRun(fresh(), formatLogUrl(url)), base);
      } finally {
        await dropNatsPrefix(url);
      }
    },
  );

  // The mock auto-creates topics with 4 partitions (metrics and ratings.late get 4 instead of 1,
  // which the comparison by window and by source position does not mind) and has no
  // DeleteRecords/DeleteTopics, which this run does not need.
  it("gives the embedded log's results on Kafka (librdkafka mock cluster)", { skip: kafkaMissing ?? false, timeout: 600_000 }, async (t) => {
    const base = await embedded();
    const mock = await startKafkaMock();
    try {
      assertSameAsEmbedded(t, 'Kafka', await pipelineRun(fresh(), `kafka://${mock.servers.join(',')}/ratings`), base);
    } finally {
      await mock.stop();
    }
  });
});
