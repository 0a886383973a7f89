// The dataset side of what the server serves: the catalogue, every user's training ratings and,
// when no popularity model is registered, a popularity fallback trained on the ratings. The heavy
// part (reading the ratings file, grouping it by user, parsing the catalogue, training popularity)
// runs in a worker thread, so loading a new dataset beside live traffic never stalls a request.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Catalogue } from '../../movies/catalogue.js';
import type { Movie } from '../../movies/movie.js';
import { readArrayFileAsync, withArrayFiles } from '../models/array-file.js';
import { datasetDir } from '../data/import.js';
import { PopularityModel } from '../models/popularity/popularity.js';
import type { ServingDataJob, ServingDataReply } from './serving-data-worker.js';
import { TrainingHistories } from './user-histories.js';

/** The dataset side of a model set: shared by consecutive sets trained on the same data. */
export interface ServingData {
  /** `<name>@<fingerprint>`: equal keys, same data. */
  key: string;
  name: string;
  /** The ratings' fingerprint as the import recorded it (what a model's `dataFingerprint` names), else the file's size and time. */
  fingerprint: string;
  catalogue: Catalogue;
  histories: TrainingHistories;
  /** Lower-cased genre → its canonical spelling and the catalogue's movies of that genre. */
  genres: Map<string, { name: string; movies: Int32Array }>;
  /** How many distinct movies the ratings hold. */
  ratedMovies: number;
  /** Trained on the dataset when no popularity model is registered (see datasetPopularity). */
  popularity?: PopularityModel;
}

/** The data of dataset `name`, or `previous` when it is the same data (a new model version does not reload 20M ratings). */
export async function loadServingData(dataDir: string, name: string, previous: ServingData | null, notes: string[]): Promise<ServingData> {
  const dir = datasetDir(dataDir, name);
  const fingerprint = dataIdentity(dir);
  const key = `${name}@${fingerprint}`;
  if (previous && previous.key === key) return previous;
  if (!existsSync(dir)) {
    throw new Error(`the models were trained on dataset "${name}", which is not in ${join(dataDir, 'datasets')}: import it again (streamrec dataset import) or retrain`);
  }
  const built = await runWorker({ dir, catalogue: true, histories: true, popularity: false });
  if (built.histories === undefined || built.movies === undefined) throw new Error(`loading dataset "${name}": the worker returned no histories or catalogue`);
  const movies: Movie[] = [];
  for (const slice of built.movies) {
    for (const movie of JSON.parse(slice) as Movie[]) movies.push(movie);
    await yieldToEventLoop();
  }
  const catalogue = Catalogue.fromMovies(movies);
  if (catalogue.size === 0) notes.push(`dataset "${name}" has no movie catalogue: titles and genres are empty`);
  return {
    key,
    name,
    fingerprint,
    catalogue,
    histories: TrainingHistories.fromArrays(built.histories),
    genres: genreIndex(catalogue.all()),
    ratedMovies: built.ratedMovies ?? 0,
  };
}

/** The popularity fallback trained on the dataset's ratings (once per dataset: kept on `data`). */
export async function datasetPopularity(dataDir: string, data: ServingData): Promise<PopularityModel> {
  if (data.popularity) return data.popularity;
  const built = await runWorker({ dir: datasetDir(dataDir, data.name), catalogue: false, histories: false, popularity: true });
  const dir = built.popularityDir;
  if (dir === undefined) throw new Error(`training popularity on dataset "${data.name}": the worker returned no model`);
  try {
    const path = join(dir, 'popularity.bin');
    const file = await readArrayFileAsync(path);
    data.popularity = withArrayFiles(new Map([[path, file]]), () => PopularityModel.load(dir));
    return data.popularity;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runWorker(job: ServingDataJob): Promise<Extract<ServingDataReply, { ok: true }>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./serving-data-worker.js', import.meta.url), { workerData: job });
    let settled = false;
    worker.once('message', (reply: ServingDataReply) => {
      settled = true;
      if (reply.ok) resolve(reply);
      else reject(new Error(`loading dataset ${job.dir}: ${reply.message}`));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`loading dataset ${job.dir}: the worker exited with code ${code}`));
    });
  });
}

/** The fingerprint the import recorded, else the ratings file's size and time: cheap, no read of the data. */
function dataIdentity(dir: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, 'dataset.json'), 'utf8')) as { fingerprint?: unknown };
    if (typeof manifest.fingerprint === 'string') return manifest.fingerprint;
  } catch {
    // no manifest: fall through
  }
  try {
    const s = statSync(join(dir, 'ratings.bin'));
    return `${s.size}-${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function genreIndex(movies: Movie[]): Map<string, { name: string; movies: Int32Array }> {
  const lists = new Map<string, { name: string; ids: number[] }>();
  for (const m of movies) {
    for (const g of m.genres) {
      const k = g.toLowerCase();
      let l = lists.get(k);
      if (!l) lists.set(k, (l = { name: g, ids: [] }));
      l.ids.push(m.movieId);
    }
  }
  const out = new Map<string, { name: string; movies: Int32Array }>();
  for (const [k, l] of lists) out.set(k, { name: l.name, movies: Int32Array.from(l.ids) });
  return out;
}
