/**
 * The ratings pipeline end to end — the real log, runner and catalogue — against a brute-force
 * computation over the raw events: every final result of both window types, late events and dead
 * letters; and the same results whatever the read batch size. The brute force takes the events in
 * the runner's order (partitions merged by event time) and applies the lateness rule on its own: an
 * event counts in each of its windows the watermark before it has not passed, and is late for the
 * others.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runPipeline } from '../../src/engine/pipeline-runner.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog, LogRecord } from '../../src/log/types.js';
import { Catalogue } from '../../src/movies/catalogue.js';
import { syntheticCatalogue } from '../../src/movies/synthetic-catalogue.js';
import { generateRatings } from '../../src/pipelines/ratings/ratings-generator.js';
import { ratingCodec, RATINGS_TOPIC, type Rating } from '../../src/movies/rating-event.js';
import { METRICS_TOPIC, ratingsPipeline } from '../../src/pipelines/ratings/ratings-pipeline.js';
import { UNKNOWN_GENRE } from '../../src/movies/movie.js';
import { tempDir } from '../helpers/tmp.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 10, 10, 9);
const synthetic = syntheticCatalogue(300, 4);
/** The same movies with 1–3 of 40 made-up genres: more than a 32-bit mask holds. */
const manyGenres = Catalogue.fromMovies(
  synthetic.all().map((m) => ({ ...m, genres: [...new Set([`G${m.movieId % 40}`, `G${(m.movieId * 7) % 40}`, `G${(m.movieId * 13) % 40}`])].slice(0, 1 + (m.movieId % 3)) })),
);

interface Final {
  window_type: string;
  window_start: string;
  window_end: string;
  count: number;
  avg_rating: number;
  p50_rating: number;
  p95_rating: number;
  p99_rating: number;
  top_movies: { movieId: number; title: string; genres: string[]; count: number; avg_rating: number; score: number }[];
  genres: Record<string, { count: number; avg_rating: number }>;
  late_events: number;
  final: boolean;
}

async function readAll(log: EventLog, topic: string) {
  const c = log.consumer({ group: `read-${topic}`, topics: [topic], from: 'earliest' });
  const out = [];
  for (let b = await c.poll({ maxRecords: 10_000 }); b.length > 0; b = await c.poll({ maxRecords: 10_000 })) out.push(...b);
  return out;
}

/** 6000 generated ratings over 40 minutes, 5% delayed by 1–20 min, plus an unknown movie and three malformed records. */
async function fill(log: EventLog, catalogue: Catalogue): Promise<void> {
  await generateRatings({ log, catalogue, users: 400, seed: 5, rate: Infinity, count: 6000, backfill: { fromMs: T0, spanMs: 40 * MIN }, lateFraction: 0.05, minDelayMs: MIN, maxDelayMs: 20 * MIN });
  const at = T0 + 40 * MIN;
  await log.producer().send(RATINGS_TOPIC, [
    { key: '7', value: ratingCodec.encode({ userId: 7, movieId: 999_999, rating: 2.5, timestamp: at }) },
    { key: '7', value: '{"userId":7,"movieId":1,"rating":7,"timestamp":1}' },
    { key: '8', value: 'not json' },
    { key: '9', value: new Uint8Array([0xff, 0xfe]) },
    { key: '7', value: ratingCodec.encode({ userId: 7, movieId: 1, rating: 4, timestamp: at + 1 }) },
  ]);
}

/** The valid events in the order the runner takes them: partitions merged by event time (ties: the lower partition), each in offset order. */
function arrivalOrder(input: LogRecord[]): { rating: Rating; at: string }[] {
  const byPartition = new Map<number, { rating: Rating; at: string }[]>();
  for (const r of input) {
    let rating: Rating;
    try {
      rating = ratingCodec.decode(r.value);
    } catch {
      continue; // dead-lettered: taken at once, without effect on the others' order
    }
    const list = byPartition.get(r.partition) ?? [];
    list.push({ rating, at: `${r.partition}/${r.offset}` });
    byPartition.set(r.partition, list);
  }
  const partitions = [...byPartition.keys()].sort((a, b) => a - b);
  const heads = new Map(partitions.map((p) => [p, 0]));
  const out: { rating: Rating; at: string }[] = [];
  for (;;) {
    let best: number | null = null;
    for (const p of partitions) {
      const e = byPartition.get(p)![heads.get(p)!];
      if (e && (best === null || e.rating.timestamp < byPartition.get(best)![heads.get(best)!]!.rating.timestamp)) best = p;
    }
    if (best === null) return out;
    out.push(byPartition.get(best)![heads.get(best)!]!);
    heads.set(best, heads.get(best)! + 1);
  }
}

interface Windowed {
  type: string;
  start: number;
  end: number;
  events: Rating[];
}

/**
 * The lateness rule, brute force: each event counts in each window of it whose end the watermark
 * before it (newest time so far − 10 min) has not passed; the others it misses. Returns the windows'
 * events, the late events (missed any window: `partly` when counted in some) and the missed windows per type.
 */
function applyLateness(arrivals: { rating: Rating; at: string }[]) {
  const windows = new Map<string, Windowed>();
  const late = new Map<string, 'partly' | 'none'>();
  const missed = { tumbling_1min: 0, sliding_5min: 0 };
  let max = -Infinity;
  for (const { rating: e, at } of arrivals) {
    const watermark = max - 10 * MIN;
    const minute = Math.floor(e.timestamp / MIN) * MIN;
    const mine: [keyof typeof missed, number, number][] = [['tumbling_1min', minute, MIN]];
    for (let s = minute - 4 * MIN; s <= minute; s += MIN) mine.push(['sliding_5min', s, 5 * MIN]);
    let counted = 0;
    for (const [type, start, size] of mine) {
      if (start + size <= watermark) {
        missed[type]++;
        continue;
      }
      counted++;
      const key = `${type}@${new Date(start).toISOString()}`;
      const w = windows.get(key) ?? { type, start, end: start + size, events: [] };
      w.events.push(e);
      windows.set(key, w);
    }
    if (counted < mine.length) late.set(at, counted > 0 ? 'partly' : 'none');
    max = Math.max(max, e.timestamp);
  }
  return { windows, late, missed };
}

function bruteForce(windows: Map<string, Windowed>, catalogue: Catalogue): Map<string, Omit<Final, 'late_events' | 'final'>> {
  const out = new Map<string, Omit<Final, 'late_events' | 'final'>>();
  for (const [key, w] of windows) {
    const n = w.events.length;
    const sorted = w.events.map((e) => e.rating).sort((a, b) => a - b);
    // quantile_disc: the value at 1-based rank ceil(n·q).
    const q = (percent: number) => sorted[Math.max(1, Math.floor((n * percent + 99) / 100)) - 1]!;
    const byMovie = new Map<number, { count: number; sum: number }>();
    const byGenre = new Map<string, { count: number; sum: number }>();
    for (const e of w.events) {
      const m = byMovie.get(e.movieId) ?? { count: 0, sum: 0 };
      m.count++;
      m.sum += e.rating;
      byMovie.set(e.movieId, m);
      for (const g of new Set(catalogue.get(e.movieId)?.genres ?? [UNKNOWN_GENRE])) {
        const s = byGenre.get(g) ?? { count: 0, sum: 0 };
        s.count++;
        s.sum += e.rating;
        byGenre.set(g, s);
      }
    }
    const top = [...byMovie]
      .sort(([ka, a], [kb, b]) => b.sum - a.sum || ka - kb)
      .slice(0, 20)
      .map(([movieId, m]) => ({
        movieId,
        title: catalogue.get(movieId)?.title ?? `movie ${movieId}`,
        genres: catalogue.get(movieId)?.genres ?? [UNKNOWN_GENRE],
        count: m.count,
        avg_rating: m.sum / m.count,
        score: m.sum,
      }));
    out.set(key, {
      window_type: w.type,
      window_start: new Date(w.start).toISOString(),
      window_end: new Date(w.end).toISOString(),
      count: n,
      avg_rating: sorted.reduce((s, x) => s + x, 0) / n,
      p50_rating: q(50),
      p95_rating: q(95),
      p99_rating: q(99),
      top_movies: top,
      genres: Object.fromEntries([...byGenre].map(([g, s]) => [g, { count: s.count, avg_rating: s.sum / s.count }])),
    });
  }
  return out;
}

async function runOnce(readBatch: number, catalogue = synthetic) {
  const { dir, cleanup } = tempDir();
  const log = openEmbeddedLog({ dataDir: dir });
  try {
    await fill(log, catalogue);
    const status = await runPipeline(ratingsPipeline({ catalogue, idleTimeoutMs: 50 }), { log, exitWhenIdle: true, readBatch });
    const finals = (await readAll(log, METRICS_TOPIC)).map((r) => JSON.parse(r.value as string) as Final).filter((f) => f.final);
    return { status, finals, input: await readAll(log, RATINGS_TOPIC), late: await readAll(log, 'ratings.late'), dlq: await readAll(log, 'ratings.dlq') };
  } finally {
    await log.close();
    cleanup();
  }
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/**
 * Checks a run against brute force over its input: late events in ratings.late, malformed ones in
 * ratings.dlq, every other event in the finals of its windows.
 */
function checkRun({ status, finals, input, late, dlq }: Awaited<ReturnType<typeof runOnce>>, catalogue: Catalogue): void {
  assert.equal(status.processed, 6005);

  // Malformed records are dead-lettered with their position; late ones copied to ratings.late.
  assert.deepEqual(dlq.map((r) => r.headers!.reason.split(' ').slice(0, 2).join(' ')).sort(), ['rating invalid', 'rating not', 'rating rating:']);
  assert.equal(status.deadLettered, 3);
  const lateAt = new Map(late.map((r) => [`${r.headers!.source_partition}/${r.headers!.source_offset}`, r.headers!.counted]));
  assert.equal(lateAt.size, late.length);
  assert.ok(late.length > 50 && late.length < 300, `some events are late: ${late.length}`);
  const lateInput = input.filter((r) => lateAt.has(`${r.partition}/${r.offset}`));
  assert.deepEqual(late.map((r) => r.value).sort(), lateInput.map((r) => r.value).sort(), 'late records keep their value');

  const rule = applyLateness(arrivalOrder(input));
  assert.deepEqual(lateAt, rule.late, 'late exactly when a window of it was final, marked whether it still counted');
  assert.ok([...lateAt.values()].includes('partly') && [...lateAt.values()].includes('none'), 'both kinds of late event');
  assert.equal(status.late, late.length);
  const expected = bruteForce(rule.windows, catalogue);
  assert.equal(finals.length, expected.size, 'one final per window with events');
  for (const f of finals) {
    const e = expected.get(`${f.window_type}@${f.window_start}`);
    assert.ok(e, `unexpected window ${f.window_type}@${f.window_start}`);
    const at = `${f.window_type}@${f.window_start}`;
    assert.deepEqual([f.window_end, f.count, f.p50_rating, f.p95_rating, f.p99_rating], [e.window_end, e.count, e.p50_rating, e.p95_rating, e.p99_rating], at);
    assert.ok(near(f.avg_rating, e.avg_rating), `${at} avg`);
    assert.deepEqual(f.top_movies.map(({ avg_rating: _, ...rest }) => rest), e.top_movies.map(({ avg_rating: _, ...rest }) => rest), `${at} top movies`);
    f.top_movies.forEach((m, i) => assert.ok(near(m.avg_rating, e.top_movies[i]!.avg_rating), `${at} top movie avg`));
    assert.deepEqual(Object.keys(f.genres), Object.keys(e.genres).sort(), `${at} genres, listed alphabetically`);
    for (const [g, v] of Object.entries(e.genres)) {
      assert.equal(f.genres[g]!.count, v.count, `${at} ${g}`);
      assert.ok(near(f.genres[g]!.avg_rating, v.avg_rating), `${at} ${g} avg`);
    }
  }
  assert.ok(finals.some((f) => f.genres[UNKNOWN_GENRE]?.count === 1), 'the unknown movie counts under (unknown)');
  for (const type of ['tumbling_1min', 'sliding_5min'] as const) {
    const lateEvents = finals.filter((f) => f.window_type === type).reduce((s, f) => s + f.late_events, 0);
    assert.equal(lateEvents, rule.missed[type], `${type}: late_events sum to the windows events missed`);
  }
  assert.equal(rule.missed.tumbling_1min, late.length, 'an event late for any window is late for its minute (the window that ends first)');
}

describe('the ratings pipeline', () => {
  it('gives every window the count, average, percentiles, top movies and genres of its on-time events', async () => {
    checkRun(await runOnce(97), synthetic);
  });

  it('does the same with a catalogue of more than 32 genres', async () => {
    const genres = new Set(manyGenres.all().flatMap((m) => m.genres));
    assert.equal(genres.size, 40);
    checkRun(await runOnce(500, manyGenres), manyGenres);
  });

  it('gives the same final results whatever the read batch size', async () => {
    // Everything but the processing time: the watermark of a final is the one that closed it.
    const strip = (finals: Final[]) =>
      finals
        .map((f) => {
          const { processing_time: _p, ...rest } = f as Final & Record<string, unknown>;
          return rest;
        })
        .sort((a, b) => `${a.window_type}${a.window_start}`.localeCompare(`${b.window_type}${b.window_start}`));
    const small = await runOnce(13);
    const large = await runOnce(5000);
    assert.deepStrictEqual(strip(small.finals), strip(large.finals));
    assert.deepEqual(small.late.map((r) => r.value), large.late.map((r) => r.value));
  });
});
