/**
 * `npm run bench -- serve`: recommendation serving at MovieLens-20M size. Not timed: a synthetic
 * dataset (138,493 users, 26,744 movies, 20,000,263 ratings; BENCH_RATINGS shrinks it) is stored
 * in a data dir and every model kind of the table (src/recommend/models/model-kinds.ts) is trained
 * into the registry as `streamrec train` does, with the table's defaults (ALS's iterations from
 * BENCH_ALS_ITERATIONS). Timed: the server, in a child process, answers
 * GET /recommendations/recommend/{user} for a rotating list of users, driven by autocannon from a
 * second child — with the default model (the table's first preference) and with model=als, each
 * with the response cache off (every answer computed), then on (a hot set of users as large as
 * the cache) — beside /recommendations/health as the baseline; the server's peak RSS last. The
 * models' names in what it prints come from the table. BENCH_DATA_DIR names a data dir to keep:
 * prepared there when its registry holds no default model yet, served as it is otherwise (e.g. to
 * rerun the timed part alone).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Catalogue } from '../src/movies/catalogue.js';
import { loadDataset } from '../src/recommend/data/dataset.js';
import { datasetDir, storeDataset, writeManifest } from '../src/recommend/data/import.js';
import { synthesize } from '../src/recommend/data/synth.js';
import { DEFAULT_TRAIN_PARAMS, fitOrder, MODEL_NAMES, SERVING_MODELS } from '../src/recommend/models/model-kinds.js';
import { ModelRegistry } from '../src/recommend/registry/registry.js';
import { trainIntoRegistry } from '../src/recommend/train/train-registry.js';
import { Random } from '../src/util/random.js';
import { tempDir } from '../test/helpers/tmp.js';
import type { LoadJob } from './serve-load-child.js';
import { printFigures, say, seconds, type Figure } from './report.js';

const FULL = { users: 138_493, movies: 26_744, ratings: 20_000_263 };
const RATINGS = Number(process.env.BENCH_RATINGS ?? FULL.ratings);
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ITERATIONS = Number(process.env.BENCH_ALS_ITERATIONS ?? DEFAULT_TRAIN_PARAMS.als.iterations);
/** A data dir to keep: prepared when it holds no default model, reused as it is otherwise. */
const KEEP_DIR = process.env.BENCH_DATA_DIR;
/** Every kind of the table, in the order training fits them (components before what blends them). */
const TRAINED = Object.values(fitOrder(MODEL_NAMES)).flat();
/** The model a request without `model=` gets when every kind is served: the table's first preference. */
const DEFAULT_MODEL = SERVING_MODELS[0]!;
/** The one model timed alone beside the default. */
const SINGLE_MODEL = 'als';
/** The hot users of the cache-on run: as many as the cache holds (default 1,000 entries). */
const HOT_USERS = 1000;

interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

function load(base: string, paths: string[], durationS = DURATION_S): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('./serve-load-child.js', import.meta.url), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m) => resolve(m as LoadResult));
    child.on('error', reject);
    child.on('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    const job: LoadJob = { base, seconds: durationS, connections: CONNECTIONS, paths };
    child.send(job);
  });
}

function ask<T>(child: ChildProcess, question: string, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(question);
  });
}

function shuffled(ids: Int32Array, seed: number): number[] {
  const out = Array.from(ids);
  const random = new Random(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export async function run(): Promise<void> {
  const f = Math.min(1, RATINGS / FULL.ratings);
  const size = {
    users: Math.max(1000, Math.round(FULL.users * f)),
    movies: Math.max(500, Math.round(FULL.movies * Math.sqrt(f))),
    ratings: Math.round(RATINGS),
  };
  const temp = KEEP_DIR === undefined ? tempDir('bench-serve-') : { dir: KEEP_DIR, cleanup: () => {} };
  const dataDir = temp.dir;
  let server: ChildProcess | undefined;
  try {
    let userIds: Int32Array;
    const t = process.hrtime.bigint();
    if (new ModelRegistry(dataDir).latestVersion(DEFAULT_MODEL) === undefined) {
      const models = TRAINED.map((m) => (m === 'als' ? `als (rank ${DEFAULT_TRAIN_PARAMS.als.rank} × ${ITERATIONS} iterations)` : m)).join(', ');
      say(`serve bench: synthesizing ${size.ratings.toLocaleString('en-US')} ratings (${size.users.toLocaleString('en-US')} users, ${size.movies.toLocaleString('en-US')} movies) and training every model: ${models} (not timed)`);
      userIds = await prepare(dataDir, size);
      say(`  prepared in ${seconds(t).toFixed(1)} s`);
    } else {
      say(`serve bench: serving the models already in ${dataDir}`);
      userIds = await servedUsers(dataDir);
    }

    server = fork(new URL('./serve-server-child.js', import.meta.url), [dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = await new Promise<{ port: number; loadSeconds: number; rssMb: number; maxRssMb: number; summary: string }>((resolve, reject) => {
      server!.once('message', (m) => resolve(m as never));
      server!.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${ready.port}`;
    say(`server up in ${ready.loadSeconds.toFixed(1)} s (models and dataset loaded; RSS ${ready.rssMb} MB, peak ${ready.maxRssMb} MB): ${ready.summary}`);

    const figures: Figure[] = [];
    const report = (name: string, what: string, r: LoadResult, baseline?: number) => {
      if (r.errors || r.timeouts || r.non2xx) throw new Error(`${what}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
      say(`${what}: ${Math.round(r.rps).toLocaleString('en-US')} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms (${r.requests.toLocaleString('en-US')} requests)`);
      figures.push({ name: `${name}_rps`, value: r.rps, unit: 'req/s', ...(baseline !== undefined ? { baseline } : {}) });
      figures.push({ name: `${name}_p50`, value: r.p50, unit: 'ms' });
      figures.push({ name: `${name}_p99`, value: r.p99, unit: 'ms' });
    };

    const baseline = await load(base, ['/recommendations/health']);
    report('health', 'GET /recommendations/health (baseline)', baseline);

    const users = shuffled(userIds, 1);
    type Stats = { maxRssMb: number; rssMb: number; health: { default_model: string; cache_stats: { hits: number; misses: number } } };
    let after: Stats | undefined;
    // The default model, then one model alone: `model` is the query parameter, '' the default.
    for (const [name, model] of [[DEFAULT_MODEL, ''], [SINGLE_MODEL, `&model=${SINGLE_MODEL}`]] as const) {
      const what = model === '' ? `the default model (${(await ask<Stats>(server, 'stats', 'stats')).health.default_model})` : name;
      // Cache off: every request computes an answer, users in a shuffled rotation.
      await load(base, users.slice(0, 2000).map((u) => `/recommendations/recommend/${u}?n=10&use_cache=false${model}`), 2); // warm-up
      const off = await load(base, users.map((u) => `/recommendations/recommend/${u}?n=10&use_cache=false${model}`));
      report(`recommend_${name}_cache_off`, `GET /recommendations/recommend/{user}?n=10&use_cache=false${model}, ${what}`, off, baseline.rps);

      // Cache on: a hot set of users the size of the cache, filled by a warm-up pass.
      const hot = users.slice(0, HOT_USERS).map((u) => `/recommendations/recommend/${u}?n=10${model}`);
      await load(base, hot, 2);
      const before = await ask<Stats>(server, 'stats', 'stats');
      const on = await load(base, hot);
      after = await ask<Stats>(server, 'stats', 'stats');
      const hits = after.health.cache_stats.hits - before.health.cache_stats.hits;
      const misses = after.health.cache_stats.misses - before.health.cache_stats.misses;
      report(`recommend_${name}_cache_on`, `GET /recommendations/recommend/{user}?n=10${model} (${HOT_USERS} hot users, hit rate ${((100 * hits) / Math.max(1, hits + misses)).toFixed(1)} %), ${what}`, on, baseline.rps);
    }

    say(`server peak RSS ${after!.maxRssMb} MB (now ${after!.rssMb} MB)`);
    figures.push({ name: 'server_peak_rss', value: after!.maxRssMb, unit: 'MB' });
    printFigures('serve', figures);
  } finally {
    if (server && server.exitCode === null) {
      server.send('stop');
      await new Promise((r) => server!.once('exit', r));
    }
    temp.cleanup();
  }
}

/** The users of the dataset the registry's default model was trained on. */
async function servedUsers(dataDir: string): Promise<Int32Array> {
  const meta = new ModelRegistry(dataDir).latest(DEFAULT_MODEL);
  if (!meta) throw new Error(`BENCH_DATA_DIR=${dataDir}: no ${DEFAULT_MODEL} in its registry`);
  const dataset = await loadDataset(datasetDir(dataDir, meta.dataset.name));
  return Int32Array.from(new Set(dataset.ratings.columns.users)).sort();
}

/** Writes the dataset and trains the models into the data dir; returns the users' ids. */
async function prepare(dataDir: string, size: { users: number; movies: number; ratings: number }): Promise<Int32Array> {
  const s = synthesize({ ...size, rank: 20, noise: 0.5, seed: 2026 });
  const name = 'synth-20m';
  const dir = datasetDir(dataDir, name);
  const catalogue = Catalogue.fromMovies(s.movies);
  const fingerprint = storeDataset(dir, { columns: s.columns, catalogue, genome: s.genome, tags: s.tags, ratingsMeta: { source: 'synth' } });
  const userIds = Int32Array.from(new Set(s.columns.users)).sort();
  writeManifest(dir, {
    name, dir, layout: 'ratings.csv', ratingsFile: 'synth', moviesFile: 'synth',
    ratings: s.columns.users.length, users: userIds.length, movies: new Set(s.columns.movies).size,
    catalogueMovies: catalogue.size, badLines: 0, badLinesByFile: {}, fingerprint, sourceFiles: [], durationMs: 0,
  });
  const dataset = await loadDataset(dir);
  let last = '';
  await trainIntoRegistry({
    dataset,
    models: TRAINED,
    params: { ...DEFAULT_TRAIN_PARAMS, als: { ...DEFAULT_TRAIN_PARAMS.als, iterations: ITERATIONS } },
    registry: new ModelRegistry(dataDir),
    hooks: {
      onProgress: (model, phase) => {
        // One line per phase (ALS: per iteration), not per progress tick.
        const line = `  ${model}: ${phase.replace(/ (users|movies)$/, '')}`;
        if (line !== last) say((last = line));
      },
    },
    onModel: (o) => say(`  ${o.model} ${o.status} in ${o.seconds.toFixed(1)} s`),
  });
  return userIds;
}
