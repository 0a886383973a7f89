// A synthetic MovieLens from a known latent-factor model, so tests and benchmarks need no download
// and know the error of the generating model itself (the noise floor). Ratings are μ + user bias + movie bias + p_u·q_m +
// Gaussian noise, rounded to half stars and clipped to 0.5..5; who rates what follows Zipf-like
// movie popularity and heavy-tailed user activity; genres, the tag genome and users' tags are
// noisy functions of the movie factors, so content similarity tracks collaborative similarity.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { formatMoviesCsv } from '../../movies/catalogue-store.js';
import { MOVIELENS_GENRES, type Movie } from '../../movies/movie.js';
import { Random } from '../../util/random.js';
import type { Genome, MovieTags } from './content-features.js';
import type { RatingColumns } from './ratings-parse.js';
import { aggregateTags } from './tags-parse.js';
import { csvField } from '../../util/csv.js';

export interface SynthOptions {
  users: number;
  movies: number;
  ratings: number;
  rank: number;
  noise: number;
  seed: number;
  /** Tags in the genome; default 64. */
  genomeTags?: number;
}

export interface SynthTruth {
  options: SynthOptions;
  /** The model's μ (the emitted ratings' mean differs a little: rounding and clipping). */
  globalMean: number;
  /** RMSE between the model's expected rating (before noise, rounding to 0.5 steps and clipping to 0.5..5) and the rating emitted, over all ratings: the error of the true model, the floor a learned model is judged against (a predictor that knew the rounding and clipping could go slightly below it) */
  noiseFloorRmse: number;
}

/** The latent model: index u - 1 is user u, m - 1 is movie m; factors are row-major (id × rank). */
export interface SynthModel {
  globalMean: number;
  rank: number;
  userBias: Float32Array;
  movieBias: Float32Array;
  userFactors: Float32Array;
  movieFactors: Float32Array;
}

/** Every user rates at least this many movies (MovieLens: 20 in the big releases). */
export const MIN_RATINGS_PER_USER = 5;
const DEFAULT_GENOME_TAGS = 64;
const GLOBAL_MEAN = 3.5;
const USER_BIAS_SD = 0.35;
const MOVIE_BIAS_SD = 0.45;
/** Standard deviation of p_u·q_m, whatever the rank. */
const INTERACTION_SD = 0.55;
/** Ratings happen between 2015-01-01 and 2019-01-01 (UTC), in whole seconds. */
const TIME_START_S = Date.UTC(2015, 0, 1) / 1000;
const TIME_SPAN_S = 4 * 365 * 86_400;
const DAY_S = 86_400;
/** Genres' base popularity (log scale), in MOVIELENS_GENRES order: dramas and comedies are common, film noir rare. */
const GENRE_PRIOR = [0.6, 0.4, 0, 0.1, 0.9, 0.4, 0, 1, 0.2, -0.8, 0.3, -0.8, -0.3, 0.1, 0.5, 0.3, 0.6, -0.2, -0.4];
const TAG_WORDS = [
  'atmospheric', 'dark comedy', 'thought-provoking', 'visually appealing', 'twist ending', 'based on a book', 'feel-good',
  'slow', 'great soundtrack', 'quirky', 'violent', 'romantic', 'funny', 'dystopia', 'space', 'time travel', 'superhero',
  'heist', 'historical', 'family', 'coming of age', 'true story', 'cult film', 'classic', 'philosophical', 'surreal',
  'stylized', 'satire', 'tearjerker', 'funny, but sad', 'so bad it\'s "good"', 'biography', 'sports', 'suspense',
];

/** The genome's tag texts: a small vocabulary (one with a comma, one with quotes), then "tag N". */
export function synthTagNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i < TAG_WORDS.length ? TAG_WORDS[i] : `tag ${i + 1}`));
}

/** Checks options, naming the bad one; returns them with genomeTags filled in. */
export function checkSynthOptions(options: SynthOptions): Required<SynthOptions> {
  const o = { ...options, genomeTags: options.genomeTags ?? DEFAULT_GENOME_TAGS };
  const int = (name: keyof SynthOptions, min: number, max = 2 ** 31 - 1) => {
    const v = o[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`synth: ${name} must be an integer from ${min} to ${max}, got ${v}`);
  };
  int('users', 1);
  int('movies', MIN_RATINGS_PER_USER);
  int('rank', 1, 1000);
  int('genomeTags', 1, 100_000);
  if (!Number.isInteger(o.seed)) throw new RangeError(`synth: seed must be an integer, got ${o.seed}`);
  if (!(o.noise >= 0 && o.noise <= 10)) throw new RangeError(`synth: noise must be from 0 to 10, got ${o.noise}`);
  const min = MIN_RATINGS_PER_USER * o.users;
  const max = o.users * o.movies;
  if (!Number.isInteger(o.ratings) || o.ratings < min || o.ratings > max) {
    throw new RangeError(`synth: ratings must be an integer from ${min} (${MIN_RATINGS_PER_USER} per user) to ${max} (users × movies), got ${o.ratings}`);
  }
  return o;
}

/** Independent random streams per part, so e.g. the model does not change with the ratings count. */
function stream(seed: number, part: number): Random {
  return new Random((seed + Math.imul(part, 0x9e3779b9)) | 0);
}

/** The latent model of a seed: biases and factors of every user and movie. */
export function synthModel(options: SynthOptions): SynthModel {
  const o = checkSynthOptions(options);
  const rng = stream(o.seed, 1);
  const k = o.rank;
  // var(p·q) = k · s⁴ for independent N(0, s²) components.
  const s = Math.pow((INTERACTION_SD * INTERACTION_SD) / k, 0.25);
  const gauss = (n: number, sd: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal(0, sd);
    return a;
  };
  return {
    globalMean: GLOBAL_MEAN,
    rank: k,
    userBias: gauss(o.users, USER_BIAS_SD),
    movieBias: gauss(o.movies, MOVIE_BIAS_SD),
    userFactors: gauss(o.users * k, s),
    movieFactors: gauss(o.movies * k, s),
  };
}

/** The model's rating for (user id, movie id) before noise, rounding and clipping. */
export function expectedRating(model: SynthModel, userId: number, movieId: number): number {
  const k = model.rank;
  const u = (userId - 1) * k;
  const m = (movieId - 1) * k;
  let dot = 0;
  for (let f = 0; f < k; f++) dot += model.userFactors[u + f] * model.movieFactors[m + f];
  return model.globalMean + model.userBias[userId - 1] + model.movieBias[movieId - 1] + dot;
}

/** Users' tag applications, one per entry (tag = genome tag index). */
interface TagApplications {
  users: Int32Array;
  movies: Int32Array;
  tags: Int32Array;
  /** Unix seconds. */
  seconds: Float64Array;
}

interface Generated {
  columns: RatingColumns;
  movies: Movie[];
  genome: Genome;
  tags: MovieTags;
  applications: TagApplications;
  truth: SynthTruth;
}

export function synthesize(options: SynthOptions): { columns: RatingColumns; movies: Movie[]; genome: Genome; tags: MovieTags; truth: SynthTruth } {
  const { columns, movies, genome, tags, truth } = generate(options);
  return { columns, movies, genome, tags, truth };
}

function generate(options: SynthOptions): Generated {
  const o = checkSynthOptions(options);
  const model = synthModel(o);
  const counts = activity(o, stream(o.seed, 2));
  const popularity = popularityWeights(o.movies, stream(o.seed, 3));
  const { columns, sumSq } = sampleRatings(o, model, counts, popularity, stream(o.seed, 4));
  const genome = makeGenome(o, model, stream(o.seed, 5));
  const applications = tagApplications(o, columns, genome, stream(o.seed, 6));
  // Only the tags used, indexed in first-use order like the tags parser does: aggregateTags then
  // gives exactly what importing tags.csv gives.
  const tagIndex = new Map<string, number>();
  const used = applications.tags.map((t) => {
    const text = genome.tags[t];
    if (!tagIndex.has(text)) tagIndex.set(text, tagIndex.size);
    return tagIndex.get(text) as number;
  });
  const tags = aggregateTags(tagIndex, applications.movies, used);
  const truth: SynthTruth = {
    options: o,
    globalMean: model.globalMean,
    noiseFloorRmse: o.ratings > 0 ? Math.sqrt(sumSq / o.ratings) : 0,
  };
  return { columns, movies: makeMovies(o, model, stream(o.seed, 7)), genome, tags, applications, truth };
}

/** Ratings per user: at least MIN_RATINGS_PER_USER, log-normal beyond (like MovieLens), at most every movie, summing to options.ratings. */
function activity(o: Required<SynthOptions>, rng: Random): Int32Array {
  const U = o.users;
  const cap = o.movies - MIN_RATINGS_PER_USER;
  const extra = o.ratings - MIN_RATINGS_PER_USER * U;
  const raw = new Float64Array(U);
  for (let u = 0; u < U; u++) raw[u] = Math.exp(1.2 * rng.normal());
  // Water-filling: the largest scale s with Σ min(cap, s·raw) <= extra, then whole ratings.
  const total = (scale: number) => {
    let sum = 0;
    for (let u = 0; u < U; u++) sum += Math.min(cap, scale * raw[u]);
    return sum;
  };
  let lo = 0;
  let hi = 1;
  while (total(hi) < extra && hi < 1e300) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) <= extra) lo = mid;
    else hi = mid;
  }
  const counts = new Int32Array(U);
  let given = 0;
  for (let u = 0; u < U; u++) {
    counts[u] = Math.floor(Math.min(cap, lo * raw[u]));
    given += counts[u];
  }
  // Rounding left fewer than U (plus float slack) to hand out: one each, from a random user on.
  for (let u = rng.int(0, U - 1); given < extra; u = (u + 1) % U) {
    if (counts[u] < cap) {
      counts[u]++;
      given++;
    }
  }
  for (let u = 0; u < U; u++) counts[u] += MIN_RATINGS_PER_USER;
  return counts;
}

/** Zipf-like popularity: the movie of popularity rank r (random order of ids) has weight (r + c)^-2, c = movies / 100. */
function popularityWeights(M: number, rng: Random): Float64Array {
  const order = Int32Array.from({ length: M }, (_, i) => i);
  for (let i = M - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const c = Math.max(1, M / 100);
  const weights = new Float64Array(M);
  for (let r = 0; r < M; r++) weights[order[r]] = 1 / ((r + c) * (r + c));
  return weights;
}

/** Vose's alias table: O(1) draws from a discrete distribution. */
class AliasSampler {
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  constructor(weights: Float64Array) {
    const n = weights.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += weights[i];
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = Float64Array.from(weights, (w) => (w * n) / sum);
    const small: number[] = [];
    const large: number[] = [];
    for (let i = 0; i < n; i++) (scaled[i] < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop() as number;
      const l = large.pop() as number;
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      (scaled[l] < 1 ? small : large).push(l);
    }
    for (const i of large) this.prob[i] = 1;
    for (const i of small) this.prob[i] = 1; // float leftovers
  }

  sample(rng: Random): number {
    const x = rng.next() * this.prob.length;
    const i = Math.floor(x);
    return x - i < this.prob[i] ? i : this.alias[i];
  }
}

/**
 * Each user's movies (no repeats) by popularity, then ratings and times. Light users draw with
 * rejection; heavy ones (over 1/8 of the catalogue) take the top keys of Efraimidis–Spirakis
 * weighted sampling, which never stalls on an almost exhausted catalogue.
 */
function sampleRatings(
  o: Required<SynthOptions>,
  model: SynthModel,
  counts: Int32Array,
  popularity: Float64Array,
  rng: Random,
): { columns: RatingColumns; sumSq: number } {
  const M = o.movies;
  const k = o.rank;
  const n = o.ratings;
  const columns: RatingColumns = {
    users: new Int32Array(n),
    movies: new Int32Array(n),
    ratings: new Float32Array(n),
    timestamps: new Float64Array(n),
  };
  const sampler = new AliasSampler(popularity);
  const taken = new Int32Array(M); // user index + 1 that last took the movie
  const keys = new Float64Array(M);
  const { userFactors, movieFactors, userBias, movieBias, globalMean } = model;
  let at = 0;
  let sumSq = 0;
  for (let u = 0; u < o.users; u++) {
    const count = counts[u];
    const start = at;
    if (count > M / 8) {
      for (let m = 0; m < M; m++) keys[m] = Math.log(1 - rng.next()) / popularity[m];
      const threshold = keys.slice().sort()[M - count];
      // Keys above the threshold, then (ties are next to impossible) equal ones until count.
      for (let m = 0; m < M && at - start < count; m++) if (keys[m] > threshold) columns.movies[at++] = m + 1;
      for (let m = 0; m < M && at - start < count; m++) if (keys[m] === threshold) columns.movies[at++] = m + 1;
    } else {
      const mark = u + 1;
      while (at - start < count) {
        const m = sampler.sample(rng);
        if (taken[m] === mark) continue;
        taken[m] = mark;
        columns.movies[at++] = m + 1;
      }
    }
    columns.movies.subarray(start, at).sort();
    // A user is active from a random day for a log-normal while (median a month), within the span.
    const first = Math.floor(rng.next() * (TIME_SPAN_S - DAY_S));
    const active = Math.min(TIME_SPAN_S - first, DAY_S / 24 + Math.exp(Math.log(30 * DAY_S) + 1.5 * rng.normal()));
    const uf = u * k;
    const base = globalMean + userBias[u];
    for (let i = start; i < at; i++) {
      const m = columns.movies[i] - 1;
      const mf = m * k;
      let dot = 0;
      for (let f = 0; f < k; f++) dot += userFactors[uf + f] * movieFactors[mf + f];
      const expected = base + movieBias[m] + dot;
      const noisy = o.noise > 0 ? expected + o.noise * rng.normal() : expected;
      const rating = Math.min(5, Math.max(0.5, Math.round(noisy * 2) / 2));
      sumSq += (rating - expected) * (rating - expected);
      columns.users[i] = u + 1;
      columns.ratings[i] = rating;
      columns.timestamps[i] = (TIME_START_S + first + Math.floor(rng.next() * active)) * 1000;
    }
  }
  return { columns, sumSq };
}

/** Titles "Synthetic Movie 123 (1997)" and 1-3 genres, the likeliest for the movie's factors. */
function makeMovies(o: Required<SynthOptions>, model: SynthModel, rng: Random): Movie[] {
  const k = o.rank;
  const G = MOVIELENS_GENRES.length;
  const directions = new Float64Array(G * k);
  for (let i = 0; i < directions.length; i++) directions[i] = rng.normal();
  const scale = 1 / (Math.pow((INTERACTION_SD * INTERACTION_SD) / k, 0.25) * Math.sqrt(k));
  const movies: Movie[] = [];
  const scores = new Float64Array(G);
  for (let m = 0; m < o.movies; m++) {
    for (let g = 0; g < G; g++) {
      let dot = 0;
      for (let f = 0; f < k; f++) dot += model.movieFactors[m * k + f] * directions[g * k + f];
      scores[g] = dot * scale + GENRE_PRIOR[g] + 0.7 * rng.normal();
    }
    const x = rng.next();
    const count = x < 0.35 ? 1 : x < 0.75 ? 2 : 3;
    const best = Array.from({ length: G }, (_, g) => g)
      .sort((a, b) => scores[b] - scores[a])
      .slice(0, count)
      .sort((a, b) => a - b);
    const year = 1930 + Math.floor(86 * Math.sqrt(rng.next()));
    movies.push({ movieId: m + 1, title: `Synthetic Movie ${m + 1} (${year})`, year, genres: best.map((g) => MOVIELENS_GENRES[g]) });
  }
  return movies;
}

/**
 * Every movie's relevance to each tag: sigmoid(2·(q_m·w_t)/s + b_t + noise), with a random unit
 * direction w_t and a mostly negative offset b_t (most tags barely apply, as in MovieLens'
 * genome), rounded to 4 decimals so the CSV round-trips exactly.
 */
function makeGenome(o: Required<SynthOptions>, model: SynthModel, rng: Random): Genome {
  const k = o.rank;
  const T = o.genomeTags;
  const s = Math.pow((INTERACTION_SD * INTERACTION_SD) / k, 0.25);
  const directions = new Float64Array(T * k);
  const offsets = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    let norm = 0;
    for (let f = 0; f < k; f++) {
      const v = rng.normal();
      directions[t * k + f] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let f = 0; f < k; f++) directions[t * k + f] /= norm * s;
    offsets[t] = rng.normal(-1.5, 0.8);
  }
  const relevance = new Float32Array(o.movies * T);
  for (let m = 0; m < o.movies; m++) {
    for (let t = 0; t < T; t++) {
      let dot = 0;
      for (let f = 0; f < k; f++) dot += model.movieFactors[m * k + f] * directions[t * k + f];
      const z = 2 * dot + offsets[t] + 0.6 * rng.normal();
      relevance[m * T + t] = Math.round(10_000 / (1 + Math.exp(-z))) / 10_000;
    }
  }
  return { tags: synthTagNames(T), movieIds: Int32Array.from({ length: o.movies }, (_, i) => i + 1), relevance };
}

/** About one tag per 50 ratings, on rated movies, picked among the movie's 5 most relevant genome tags. */
function tagApplications(o: Required<SynthOptions>, columns: RatingColumns, genome: Genome, rng: Random): TagApplications {
  const T = genome.tags.length;
  const top = Math.min(5, T);
  const n = Math.max(1, Math.round(o.ratings / 50));
  const apps: TagApplications = { users: new Int32Array(n), movies: new Int32Array(n), tags: new Int32Array(n), seconds: new Float64Array(n) };
  const best = new Int32Array(top);
  for (let i = 0; i < n; i++) {
    const row = rng.int(0, o.ratings - 1);
    const movie = columns.movies[row];
    const rel = genome.relevance.subarray((movie - 1) * T, movie * T);
    // The movie's `top` best tags by a partial insertion sort.
    let filled = 0;
    for (let t = 0; t < T; t++) {
      if (filled === top && rel[t] <= rel[best[top - 1]]) continue;
      let j = filled < top ? filled++ : top - 1;
      while (j > 0 && rel[best[j - 1]] < rel[t]) {
        best[j] = best[j - 1];
        j--;
      }
      best[j] = t;
    }
    apps.users[i] = columns.users[row];
    apps.movies[i] = movie;
    apps.tags[i] = best[rng.int(0, top - 1)];
    apps.seconds[i] = columns.timestamps[row] / 1000 + rng.int(0, 3600);
  }
  return apps;
}

/** Half-star ratings as MovieLens writes them ("4.0", "3.5"), by rating × 2. */
const RATING_TEXT = Array.from({ length: 11 }, (_, i) => Buffer.from((i / 2).toFixed(1)));
/** Lines between progress reports. */
const PROGRESS_LINES = 65_536;

/**
 * Writes a synthetic dataset in the ml-latest layout — ratings.csv, movies.csv, tags.csv,
 * genome-scores.csv, genome-tags.csv — plus synth.json (the truth); progress counts lines.
 */
export async function writeSynthDataset(outDir: string, options: SynthOptions, onProgress?: (done: number, total: number) => void): Promise<SynthTruth> {
  const data = generate(options);
  const { columns, genome, applications, truth } = data;
  const T = genome.tags.length;
  const total = columns.users.length + genome.movieIds.length * T + applications.users.length;
  let done = 0;
  const progressed = (lines: number) => {
    done += lines;
    onProgress?.(done, total);
  };
  mkdirSync(outDir, { recursive: true });

  await writeCsv(join(outDir, 'ratings.csv'), 'userId,movieId,rating,timestamp', columns.users.length, progressed, (w, i) => {
    w.int(columns.users[i]).comma().int(columns.movies[i]).comma().bytes(RATING_TEXT[columns.ratings[i] * 2]).comma().int(columns.timestamps[i] / 1000).newline();
  });
  writeFileAtomically(join(outDir, 'movies.csv'), formatMoviesCsv(data.movies));
  writeFileAtomically(join(outDir, 'genome-tags.csv'), `tagId,tag\n${genome.tags.map((t, i) => `${i + 1},${csvField(t)}\n`).join('')}`);
  await writeCsv(join(outDir, 'genome-scores.csv'), 'movieId,tagId,relevance', genome.movieIds.length * T, progressed, (w, i) => {
    // The Float32 holds a 4-decimal value: Math.round recovers it, and parsing the text gives the same Float32.
    w.int(genome.movieIds[Math.floor(i / T)]).comma().int((i % T) + 1).comma().decimal4(Math.round(genome.relevance[i] * 10_000)).newline();
  });
  await writeCsv(join(outDir, 'tags.csv'), 'userId,movieId,tag,timestamp', applications.users.length, progressed, (w, i) => {
    w.int(applications.users[i]).comma().int(applications.movies[i]).comma().text(csvField(genome.tags[applications.tags[i]])).comma().int(applications.seconds[i]).newline();
  });
  writeFileAtomically(join(outDir, 'synth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}

/**
 * CSV text assembled as bytes in a 4 MiB buffer handed to the file whenever it fills up: no
 * string per line or per number, which is what makes writing 20M ratings take seconds.
 */
class CsvBytes {
  private buf = Buffer.allocUnsafe(1 << 22);
  private pos = 0;
  private readonly digits = new Uint8Array(20);

  /** A non-negative integer (ids, unix seconds). */
  int(n: number): this {
    let x = n;
    let k = 0;
    do {
      const q = Math.floor(x / 10);
      this.digits[k++] = 48 + (x - q * 10);
      x = q;
    } while (x > 0);
    while (k > 0) this.buf[this.pos++] = this.digits[--k];
    return this;
  }

  /** k / 10000 for k in 0..10000, without trailing zeros ("0.025", "1"). */
  decimal4(k: number): this {
    if (k >= 10_000) return this.int(1);
    this.buf[this.pos++] = 48;
    if (k === 0) return this;
    this.buf[this.pos++] = 46;
    let d = 1000;
    let rest = k;
    while (rest > 0) {
      const digit = Math.floor(rest / d);
      this.buf[this.pos++] = 48 + digit;
      rest -= digit * d;
      d /= 10;
    }
    return this;
  }

  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  text(s: string): this {
    if (this.pos + 3 * s.length > this.buf.length) this.grow(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  comma(): this {
    this.buf[this.pos++] = 44;
    return this;
  }

  newline(): this {
    this.buf[this.pos++] = 10;
    return this;
  }

  /** Whether fewer than `room` bytes are left: time to hand the bytes over. */
  nearlyFull(room = 1024): boolean {
    return this.pos + room > this.buf.length;
  }

  /** The bytes so far (a view: use it before the next write), and a fresh start. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + need));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** Writes header + count lines to a temp file in 4 MiB writes, then renames it into place. */
async function writeCsv(path: string, header: string, count: number, progressed: (lines: number) => void, line: (w: CsvBytes, i: number) => void): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const file = await open(tmp, 'w');
  try {
    const w = new CsvBytes();
    w.text(header).newline();
    for (let i = 0; i < count; i++) {
      line(w, i);
      if (w.nearlyFull()) await file.write(w.take());
      if ((i + 1) % PROGRESS_LINES === 0 || i + 1 === count) progressed((i % PROGRESS_LINES) + 1);
    }
    await file.write(w.take());
    await file.sync();
  } finally {
    await file.close();
  }
  renameSync(tmp, path);
}

function writeFileAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
