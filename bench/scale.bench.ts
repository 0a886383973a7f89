/**
 * `npm run bench -- scale`: each event log adapter beside a bare client loop on the same server in
 * the same run, and the ratings pipeline on each log.
 *
 * Per log — embedded; NATS JetStream at SCALE_NATS (default nats://127.0.0.1:4222) when it
 * answers; Kafka on librdkafka's mock cluster (3 brokers, through Debian's kcat) when kcat is
 * installed — SCALE_EVENTS ratings (default 100,000, as JSON) are:
 * (Kafka: at most 20,000, which the mock keeps whole, adapter and bare client alternately five
 * times on fresh topics, the median of each)
 *  - appended in sends of 1,000 to a one-partition topic, beside the bare client writing the same
 *    values (better-sqlite3 inserts in transactions of 1,000; JetStream publishes with 256 acks in
 *    flight; kafkajs sends of 1,000 with acks=all);
 *  - read back by a consumer, beside the bare client reading them (a SELECT scan; an ordered
 *    JetStream consumer; a kafkajs consumer, timed from its first batch);
 *  - processed by the ratings pipeline (one instance, both window types) on the embedded log and
 *    on NATS, generated there with `generate ratings --log`.
 * SCALE_PARTS (adapters,pipeline,group: the default, all) runs some parts only.
 * Then the ratings pipeline as a group (`process ratings --group`): SCALE_GROUP_EVENTS ratings
 * (default 4,000,000 on the embedded log, 600,000 on NATS) over 6 partitions, processed by 1 and
 * then by 2 member processes; the rate is the group's committed source offsets from 20 % to 95 %
 * of the input (the steady state: no process start or first rebalance, no idle tail), 2 members
 * against 1 as the ratio, with the members' peak RSS.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import kafkajs from 'kafkajs';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { resetPipeline, runPipeline } from '../src/engine/pipeline-runner.js';
import { parseLogUrl, type NatsLogUrl } from '../src/log/log-url.js';
import { openLog } from '../src/log/open-log.js';
import type { EventLog } from '../src/log/types.js';
import { ensureCatalogue } from '../src/movies/catalogue-store.js';
import { syntheticCatalogue } from '../src/movies/synthetic-catalogue.js';
import { ratingsPipeline } from '../src/pipelines/ratings/ratings-pipeline.js';
import { LatentRatingModel } from '../src/pipelines/ratings/rating-model.js';
import { RatingSource } from '../src/pipelines/ratings/rating-source.js';
import { dropNatsPrefix, natsProblem } from '../test/log/nats-server.js';
import { kafkaMockMissing, startKafkaMock } from '../test/log/kafka-mock.js';
import { tempDir } from '../test/helpers/tmp.js';
import { peakRssMb, printFigures, say, seconds, type Figure } from './report.js';

const N = Number(process.env.SCALE_EVENTS ?? 100_000);
const BATCH = 1000;
const NATS = process.env.SCALE_NATS ?? 'nats://127.0.0.1:4222';
const CLI = resolve(import.meta.dirname, '../src/cli/main.js');
const IDLE_MS = 200;
/** librdkafka's mock drops a partition's oldest records past a few MB: the Kafka part stays under that. */
const KAFKA_MOCK_EVENTS = 20_000;
const KAFKA_ROUNDS = 5;
/** Enough input for 10 s or more of one member on each log: the rate is read from checkpoints, ~1 s apart. */
const GROUP_EVENTS = { embedded: Number(process.env.SCALE_GROUP_EVENTS ?? 4_000_000), nats: Number(process.env.SCALE_GROUP_EVENTS ?? 600_000) };
const GROUP_PARTITIONS = 6;
/**
 * The steady state a group's rate is read over, as shares of the input: after the start (members
 * joining, the first rebalance) and before the end (the last partitions finishing one by one).
 */
const STEADY_FROM = 0.2;
const STEADY_TO = 0.95;

function ratingValues(): string[] {
  const model = new LatentRatingModel({ catalogue: syntheticCatalogue(10_000, 1), users: 5000, seed: 1 });
  const source = new RatingSource(model, { seed: 2 });
  const t0 = Date.UTC(2025, 10, 10);
  return Array.from({ length: N }, (_, i) => JSON.stringify(source.next(t0 + i)));
}

interface Rates {
  append: number;
  read: number;
}

/** Appends the values through the adapter, then reads them back with a consumer. */
async function adapterRates(log: EventLog, values: string[]): Promise<Rates> {
  const topic = `scale-${randomBytes(3).toString('hex')}`;
  await log.createTopic(topic, { partitions: 1 });
  const producer = log.producer();
  let t = process.hrtime.bigint();
  for (let i = 0; i < values.length; i += BATCH) {
    await producer.send(topic, values.slice(i, i + BATCH).map((value) => ({ value, partition: 0 })));
  }
  const append = values.length / seconds(t);
  const consumer = log.consumer({ group: `${topic}-reader`, topics: [topic], from: 'earliest' });
  t = process.hrtime.bigint();
  let n = 0;
  while (n < values.length) {
    const batch = await consumer.poll({ maxRecords: 5000, timeoutMs: 1000 });
    if (batch.length === 0) throw new Error(`read ${n} of ${values.length}: the consumer came back empty`);
    n += batch.length;
  }
  const read = n / seconds(t);
  await consumer.close();
  return { append, read };
}

function bareSqlite(dir: string, values: string[]): Rates {
  const db = new Database(resolve(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE events (offset INTEGER PRIMARY KEY, ts INTEGER NOT NULL, key TEXT, value NOT NULL)');
  const insert = db.prepare('INSERT INTO events (offset, ts, key, value) VALUES (?, ?, NULL, ?)');
  const batch = db.transaction((from: number) => {
    for (let i = from; i < Math.min(from + BATCH, values.length); i++) insert.run(i, Date.now(), values[i]);
  });
  let t = process.hrtime.bigint();
  for (let i = 0; i < values.length; i += BATCH) batch(i);
  const append = values.length / seconds(t);
  const select = db.prepare('SELECT offset, ts, key, value FROM events WHERE offset >= ? ORDER BY offset LIMIT 5000').raw(true);
  t = process.hrtime.bigint();
  let offset = 0;
  let n = 0;
  for (;;) {
    const rows = select.all(offset) as [number, number, null, string][];
    if (rows.length === 0) break;
    n += rows.length;
    offset = rows[rows.length - 1]![0] + 1;
  }
  const read = n / seconds(t);
  db.close();
  return { append, read };
}

async function bareNats(url: NatsLogUrl, values: string[]): Promise<Rates> {
  const nc = await connect({ servers: url.servers });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const name = `${url.prefix}-bare`;
    const subject = `${url.prefix}.bare`;
    await jsm.streams.add({ name, subjects: [subject] });
    let t = process.hrtime.bigint();
    const inFlight: Promise<unknown>[] = [];
    for (const v of values) {
      inFlight.push(js.publish(subject, v));
      if (inFlight.length >= 256) await Promise.all(inFlight.splice(0));
    }
    await Promise.all(inFlight);
    const append = values.length / seconds(t);
    await jsm.consumers.add(name, { durable_name: 'bare', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    const consumer = await js.consumers.get(name, 'bare');
    t = process.hrtime.bigint();
    let n = 0;
    const messages = await consumer.consume({ max_messages: 5000 });
    for await (const m of messages) {
      if (m.data.length === 0) throw new Error('bare NATS read an empty message');
      if (++n === values.length) break;
    }
    const read = n / seconds(t);
    await jsm.streams.delete(name);
    return { append, read };
  } finally {
    await nc.close();
  }
}

async function bareKafka(servers: string[], values: string[]): Promise<Rates> {
  const kafka = new kafkajs.Kafka({ clientId: 'scale-bare', brokers: servers, logLevel: kafkajs.logLevel.NOTHING });
  const topic = `bare-${randomBytes(3).toString('hex')}`;
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const t = process.hrtime.bigint();
  for (let i = 0; i < values.length; i += BATCH) {
    await producer.send({ topic, acks: -1, messages: values.slice(i, i + BATCH).map((value) => ({ value, partition: 0 })) });
  }
  const append = values.length / seconds(t);
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let n = 0;
  let first: bigint | null = null;
  const read = await new Promise<number>((done, fail) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          first ??= process.hrtime.bigint();
          n += batch.messages.length;
          if (n >= values.length) done(n / seconds(first));
        },
      })
      .catch(fail);
  });
  await consumer.disconnect();
  return { append, read };
}

/** The ratings pipeline, one instance, replaying what `generate` wrote to this log. */
async function pipelineRate(dataDir: string, logUrl: string): Promise<number> {
  execFileSync(process.execPath, [CLI, 'generate', 'ratings', '--data-dir', dataDir, '--log', logUrl, '--rate', 'max', '--count', String(N), '--from', '2025-11-10T00:00:00Z', '--span', '1d', '--seed', '3'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const catalogue = await ensureCatalogue({ dataDir });
  const log = openLog({ dataDir, log: logUrl });
  try {
    await resetPipeline(log, 'ratings');
    const t = process.hrtime.bigint();
    const run = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: IDLE_MS }), { log, exitWhenIdle: true });
    const elapsed = seconds(t) - IDLE_MS / 1000;
    if (run.processed !== N) throw new Error(`${logUrl}: the pipeline processed ${run.processed} of ${N}`);
    return N / elapsed;
  } finally {
    await log.close();
  }
}

/** A process's peak RSS so far (VmHWM), MB; 0 once it is gone. */
function peakRssOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The group's committed source offsets, summed over the partitions. */
async function committedTotal(log: EventLog): Promise<number> {
  return (await log.committed('pipeline.ratings', 'ratings')).reduce((sum, o) => sum + o.offset, 0);
}

/**
 * `members` processes of `process ratings --group` over the `events` ratings the log holds (from
 * a reset group): the events/s of committed offsets over the steady state (STEADY_FROM to
 * STEADY_TO of the input), and the members' peak RSS.
 */
async function groupRate(dataDir: string, logUrl: string, members: number, events: number): Promise<{ rate: number; peakRss: number }> {
  const log = openLog({ dataDir, log: logUrl });
  try {
    await resetPipeline(log, 'ratings');
    const args = [CLI, 'process', 'ratings', '--group', '--exit-when-idle', '--idle-timeout', '1s', '--no-lake', '--data-dir', dataDir, '--log', logUrl];
    const children = Array.from({ length: members }, () => spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, STREAMREC_LEASE_TTL: '2s' } }));
    const exits = children.map(
      (c) =>
        new Promise<void>((res, rej) => {
          let stderr = '';
          c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
          c.on('exit', (code) => (code === 0 ? res() : rej(new Error(`a group member exited with ${code}:\n${stderr}`))));
        }),
    );
    let running = members;
    void Promise.allSettled(exits).then(() => (running = 0));
    let first: { t: bigint; n: number } | null = null;
    let last: { t: bigint; n: number } | null = null;
    let peakRss = 0;
    while (running > 0) {
      const n = await committedTotal(log);
      const t = process.hrtime.bigint();
      if (!first && n >= events * STEADY_FROM) first = { t, n };
      if (!last && n >= events * STEADY_TO) last = { t, n };
      peakRss = Math.max(peakRss, children.reduce((sum, c) => sum + peakRssOf(c.pid!), 0));
      await sleep(20);
    }
    await Promise.all(exits);
    const total = await committedTotal(log);
    if (total !== events) throw new Error(`${logUrl}: the group committed ${total} of ${events}`);
    if (!first || !last || last.t === first.t) throw new Error(`${logUrl}: the run was too short to time (raise SCALE_GROUP_EVENTS)`);
    return { rate: (last.n - first.n) / (Number(last.t - first.t) / 1e9), peakRss };
  } finally {
    await log.close();
  }
}

/** The ratings topic with 6 partitions and `events` generated ratings in a fresh data dir on `logUrl`. */
async function prepareGroupInput(dataDir: string, logUrl: string, events: number): Promise<void> {
  const log = openLog({ dataDir, log: logUrl });
  await log.createTopic('ratings', { partitions: GROUP_PARTITIONS });
  await log.close();
  execFileSync(process.execPath, [CLI, 'generate', 'ratings', '--data-dir', dataDir, '--log', logUrl, '--rate', 'max', '--count', String(events), '--from', '2025-11-10T00:00:00Z', '--span', '1d', '--seed', '3'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** 1 member, then 2, on one log: the figure is 2 members' rate against 1's. */
async function groupFigures(name: 'embedded' | 'nats', dataDir: string, logUrl: string): Promise<{ figure: Figure; peakRss: number }> {
  const events = GROUP_EVENTS[name];
  await prepareGroupInput(dataDir, logUrl, events);
  const one = await groupRate(dataDir, logUrl, 1, events);
  const two = await groupRate(dataDir, logUrl, 2, events);
  say(`ratings pipeline as a group, ${name} (${events.toLocaleString('en-US')} ratings): 1 member ${rateText(one.rate)} (peak RSS ${Math.round(one.peakRss)} MB), 2 members ${rateText(two.rate)} (peak RSS ${Math.round(two.peakRss)} MB together) — ratio ${(two.rate / one.rate).toFixed(2)}`);
  return { figure: { name: `group_${name}_2_members`, value: two.rate, unit: 'events/s', baseline: one.rate }, peakRss: Math.max(one.peakRss, two.peakRss) };
}

/** Each figure's median over rounds. */
function medianRates(rounds: readonly Rates[]): Rates {
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { append: median(rounds.map((r) => r.append)), read: median(rounds.map((r) => r.read)) };
}

function rateText(r: number): string {
  return `${Math.round(r).toLocaleString('en-US')}/s`;
}

function adapterFigures(name: string, adapter: Rates, bare: Rates): Figure[] {
  say(`${name}: append ${rateText(adapter.append)} vs bare ${rateText(bare.append)} (ratio ${(adapter.append / bare.append).toFixed(2)}); read ${rateText(adapter.read)} vs bare ${rateText(bare.read)} (ratio ${(adapter.read / bare.read).toFixed(2)})`);
  return [
    { name: `${name}_append`, value: adapter.append, unit: 'events/s', baseline: bare.append },
    { name: `${name}_read`, value: adapter.read, unit: 'events/s', baseline: bare.read },
  ];
}

/** SCALE_PARTS: which parts to run (default all): adapters, pipeline, group. */
const PARTS = new Set((process.env.SCALE_PARTS ?? 'adapters,pipeline,group').split(',').map((p) => p.trim()));

function natsUrlFor(tag: string): string {
  return `${NATS.replace(/\/$/, '')}/${tag}${randomBytes(3).toString('hex')}`;
}

/** Each adapter's append and read beside its bare client. */
async function adapterPart(natsDown: string | null): Promise<Figure[]> {
  const values = ratingValues();
  const figures: Figure[] = [];
  say(`adapters: ${N.toLocaleString('en-US')} ratings per log, sends of ${BATCH}`);
  const embedded = tempDir('bench-scale-');
  try {
    const log = openLog({ dataDir: embedded.dir });
    const rates = await adapterRates(log, values);
    await log.close();
    figures.push(...adapterFigures('embedded', rates, bareSqlite(embedded.dir, values)));
  } finally {
    embedded.cleanup();
  }

  const natsUrl = natsUrlFor('scale');
  if (natsDown !== null) say(`NATS: skipped (${natsDown})`);
  else {
    const dir = tempDir('bench-scale-nats-');
    try {
      const log = openLog({ dataDir: dir.dir, log: natsUrl });
      const rates = await adapterRates(log, values);
      await log.close();
      figures.push(...adapterFigures('nats', rates, await bareNats(parseLogUrl(natsUrl) as NatsLogUrl, values)));
    } finally {
      await dropNatsPrefix(parseLogUrl(natsUrl) as NatsLogUrl);
      dir.cleanup();
    }
  }

  const kcat = kafkaMockMissing();
  if (kcat !== null) say(`Kafka: skipped (${kcat})`);
  else {
    const mock = await startKafkaMock(3);
    const dir = tempDir('bench-scale-kafka-');
    try {
      const some = values.slice(0, KAFKA_MOCK_EVENTS);
      say(`Kafka: librdkafka's mock cluster (3 brokers), ${some.length.toLocaleString('en-US')} ratings (the mock drops a partition's oldest records past a few MB), adapter and bare client alternately ${KAFKA_ROUNDS} times, the median of each`);
      const log = openLog({ dataDir: dir.dir, log: `kafka://${mock.servers.join(',')}/scale` });
      const adapter: Rates[] = [];
      const bare: Rates[] = [];
      // So few records take a fraction of a second: one round is mostly noise.
      for (let round = 0; round < KAFKA_ROUNDS; round++) {
        adapter.push(await adapterRates(log, some));
        bare.push(await bareKafka(mock.servers, some));
      }
      await log.close();
      figures.push(...adapterFigures('kafka_mock', medianRates(adapter), medianRates(bare)));
    } finally {
      dir.cleanup();
      await mock.stop();
    }
  }
  return figures;
}

/** One processor (not a group) on the embedded log and on NATS. */
async function pipelinePart(dir: string, natsDown: string | null): Promise<Figure[]> {
  const figures: Figure[] = [];
  const onEmbedded = await pipelineRate(resolve(dir, 'embedded'), 'embedded');
  say(`ratings pipeline, 1 instance, embedded log: ${rateText(onEmbedded)}`);
  figures.push({ name: 'pipeline_embedded_1_instance', value: onEmbedded, unit: 'events/s' });
  if (natsDown === null) {
    const url = natsUrlFor('scalep');
    try {
      const onNats = await pipelineRate(resolve(dir, 'nats'), url);
      say(`ratings pipeline, 1 instance, NATS: ${rateText(onNats)} (ratio to embedded ${(onNats / onEmbedded).toFixed(2)})`);
      figures.push({ name: 'pipeline_nats_1_instance', value: onNats, unit: 'events/s', baseline: onEmbedded });
    } finally {
      await dropNatsPrefix(parseLogUrl(url) as NatsLogUrl);
    }
  }
  return figures;
}

/** A group of 1 and of 2 member processes on the embedded log and on NATS. */
async function groupPart(dir: string, natsDown: string | null): Promise<{ figures: Figure[]; peakRss: number }> {
  say(`the ratings pipeline as a group over ${GROUP_PARTITIONS} partitions, 1 member then 2 (processes)`);
  const embedded = await groupFigures('embedded', resolve(dir, 'group-embedded'), 'embedded');
  const figures = [embedded.figure];
  let peakRss = embedded.peakRss;
  if (natsDown === null) {
    const url = natsUrlFor('scaleg');
    try {
      const nats = await groupFigures('nats', resolve(dir, 'group-nats'), url);
      figures.push(nats.figure);
      peakRss = Math.max(peakRss, nats.peakRss);
    } finally {
      await dropNatsPrefix(parseLogUrl(url) as NatsLogUrl);
    }
  }
  return { figures, peakRss };
}

export async function run(): Promise<void> {
  const figures: Figure[] = [];
  let childPeakRss = 0;
  const natsDown = await natsProblem();
  if (PARTS.has('adapters')) figures.push(...(await adapterPart(natsDown)));
  const pipelineDir = tempDir('bench-scale-pipeline-');
  try {
    if (PARTS.has('pipeline')) figures.push(...(await pipelinePart(pipelineDir.dir, natsDown)));
    if (PARTS.has('group')) {
      const group = await groupPart(pipelineDir.dir, natsDown);
      figures.push(...group.figures);
      childPeakRss = group.peakRss;
    }
  } finally {
    pipelineDir.cleanup();
  }
  // The members' peak (2 processes together) when above this process's own.
  printFigures('scale', figures, Math.max(peakRssMb(), childPeakRss));
}
