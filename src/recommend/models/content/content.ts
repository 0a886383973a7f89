// The content-based model: a movie is its vector of content features (content-vectors.ts), a user
// is the mean vector of the movies they liked, and both ranking and prediction come from the
// cosine between the two. It can recommend movies nobody has rated yet.
//
// It serves from a reduced space (content-reduce.ts): at training the full vectors (1,128 genome
// tags plus sparse genres, years and users' tags) are projected on their `dims` leading singular
// directions and renormalised, so scoring a profile against every movie is one SIMD sweep of dims
// values a movie (movie-scorer.ts): ~0.2 ms for 27k movies at 64 dims, where the full vectors took
// 25–40 ms. On the ML-20M-sized synthetic dataset (26,744 movies, 1,128 tags) 64 dims keep 81 %
// of the vectors' squared length; reduced cosines correlate with the full ones at 0.9987 and a
// movie's 10 most similar overlap the full space's at 85 % (32 dims: 0.9945 and 73 %; 128 dims:
// 0.9992 and 87 % at twice the cost) — what is dropped is mostly per-tag noise. The reduction
// adds ~20 s to training at that size. When dims reaches the rank of the vectors (a small
// catalogue, genres and years alone) the cosines are exact.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '../../../movies/catalogue.js';
import type { Genome, MovieTags } from '../../data/content-features.js';
import { IdIndex, type Interactions } from '../../data/interactions.js';
import { Random } from '../../../util/random.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile, type ArrayFile } from '../array-file.js';
import { MovieScorer } from '../movie-scorer.js';
import { reduceContentVectors } from './content-reduce.js';
import { buildContentVectors, type ContentVectors, type VectorParams } from './content-vectors.js';
import { clamp, HistoryCache, ratingScale, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from '../recommender.js';

export interface ContentParams extends VectorParams {
  /** Dimensions of the reduced space served from (see the top of this file). */
  dims: number;
  /**
   * β in predict = user mean + β·(cos − the user's mean cos). 'fit' estimates it at training by
   * least squares on a sample of users (profile from half their ratings, the other half held out).
   */
  predictionScale: number | 'fit';
  /** Users sampled for the fit. */
  fitUsers: number;
  /** Seeds the fit's sample and the reduction's sketch. */
  seed: number;
}

export const DEFAULT_CONTENT_PARAMS: ContentParams = {
  genomeShare: 0.8,
  genreShare: 0.6,
  yearShare: 0.15,
  tagShare: 0.25,
  yearBucket: 10,
  minTagMovies: 2,
  dims: 64,
  predictionScale: 'fit',
  fitUsers: 1000,
  seed: 42,
};

export interface ContentInput {
  data: Interactions;
  catalogue: Catalogue;
  genome?: Genome;
  tags?: MovieTags;
}

/** Pseudo-ratings at μ in a movie's mean, for users with nothing to build a profile from. */
const ITEM_MEAN_DAMPING = 5;
/** Profiles kept for repeated predictions of the same user. */
const PROFILE_CACHE = 64;
/** similar() lists kept (least recently used dropped), each computed this deep. */
const SIMILAR_CACHE = 2048;
const SIMILAR_DEPTH = 100;
const FORMAT = 'content';
/** 2: the reduced vectors; 1 (the full vectors) is still read, and reduced at load. */
const VERSION = 2;

export function validateContentParams(params: Partial<ContentParams>): ContentParams {
  const p = { ...DEFAULT_CONTENT_PARAMS, ...params };
  for (const key of ['genomeShare', 'genreShare', 'yearShare', 'tagShare'] as const) {
    if (!(Number.isFinite(p[key]) && p[key] >= 0 && p[key] <= 1)) throw new Error(`content: ${key} must be a number in [0, 1], got ${p[key]}`);
  }
  if (!Number.isInteger(p.yearBucket) || p.yearBucket < 1) throw new Error(`content: yearBucket must be an integer >= 1, got ${p.yearBucket}`);
  if (!Number.isInteger(p.minTagMovies) || p.minTagMovies < 1) throw new Error(`content: minTagMovies must be an integer >= 1, got ${p.minTagMovies}`);
  if (!Number.isInteger(p.dims) || p.dims < 1 || p.dims > 4096) throw new Error(`content: dims must be an integer from 1 to 4096, got ${p.dims}`);
  if (p.predictionScale !== 'fit' && !(Number.isFinite(p.predictionScale) && p.predictionScale >= 0)) throw new Error(`content: predictionScale must be 'fit' or a number >= 0, got ${p.predictionScale}`);
  if (!Number.isInteger(p.fitUsers) || p.fitUsers < 0) throw new Error(`content: fitUsers must be an integer >= 0, got ${p.fitUsers}`);
  return p;
}

export function trainContent(input: ContentInput, params: Partial<ContentParams> = {}): ContentModel {
  const p = validateContentParams(params);
  const { data } = input;
  const vectors = buildContentVectors(input.catalogue, input.genome, input.tags, p);
  const movies = new IdIndex(vectors.movieIds);
  // Damped mean rating of each movie with a vector, for users without a profile.
  const sum = new Float64Array(movies.size);
  const count = new Float64Array(movies.size);
  for (let m = 0; m < data.movies.size; m++) {
    const v = movies.index(data.movies.ids[m]);
    if (v < 0) continue;
    for (let k = data.moviePtr[m]; k < data.moviePtr[m + 1]; k++) sum[v] += data.movieRatings[k];
    count[v] = data.moviePtr[m + 1] - data.moviePtr[m];
  }
  const mu = data.globalMean;
  const itemMean = new Float32Array(movies.size);
  for (let v = 0; v < movies.size; v++) itemMean[v] = (sum[v] + ITEM_MEAN_DAMPING * mu) / (count[v] + ITEM_MEAN_DAMPING);
  const model = new ContentModel({
    params: { ...p, predictionScale: typeof p.predictionScale === 'number' ? p.predictionScale : 1 },
    ...reduced(vectors, p),
    users: data.users,
    globalMean: mu,
    scale: ratingScale(data.userRatings),
    itemMean,
  });
  if (p.predictionScale === 'fit') model.setPredictionScale(fitPredictionScale(model, data, p.fitUsers, p.seed));
  return model;
}

/** The served part of the full vectors: their reduction and what `coverage` reports of them. */
function reduced(vectors: ContentVectors, p: Pick<ContentParams, 'dims' | 'seed'>): Pick<ContentState, 'movieIds' | 'vectors' | 'coverage'> {
  const r = reduceContentVectors(vectors, p.dims, p.seed);
  const genome = vectors.genomeDim > 0 ? vectors.genome.length / vectors.genomeDim : 0;
  return {
    movieIds: vectors.movieIds,
    vectors: r.vectors,
    coverage: { movies: vectors.movieIds.length, genome, features: vectors.featureNames.length, genomeDim: vectors.genomeDim, dims: r.dims, energy: r.energy },
  };
}

/**
 * β by least squares through the origin on a seeded sample of users with at least 4 ratings: the
 * profile from the ratings at even positions, (cos − mean cos, r − mean r) pairs from the others.
 * 1 when there is nothing to fit; kept within [0, 20].
 */
function fitPredictionScale(model: ContentModel, data: Interactions, users: number, seed: number): number {
  const random = new Random(seed);
  let sxy = 0;
  let sxx = 0;
  const n = data.users.size;
  const tries = Math.min(n, users * 4);
  let fitted = 0;
  for (let i = 0; i < tries && fitted < users; i++) {
    const u = n <= users ? i : random.int(0, n - 1);
    const from = data.userPtr[u];
    const to = data.userPtr[u + 1];
    if (to - from < 4) continue;
    const half = Math.ceil((to - from) / 2);
    const movies = new Int32Array(half);
    const ratings = new Float32Array(half);
    for (let k = from, h = 0; k < to; k += 2, h++) {
      movies[h] = data.movies.ids[data.userItems[k]];
      ratings[h] = data.userRatings[k];
    }
    const profile = model.profileOf({ userId: -1, movies, ratings });
    if (profile === null) continue;
    fitted++;
    for (let k = from + 1; k < to; k += 2) {
      const cos = model.cosine(profile, data.movies.ids[data.userItems[k]]);
      if (cos === null) continue;
      const x = cos - profile.meanCos;
      sxy += x * (data.userRatings[k] - profile.meanRating);
      sxx += x * x;
    }
  }
  if (!(sxx > 0)) return 1;
  return Math.min(20, Math.max(0, sxy / sxx));
}

/** A user's profile: the mean vector of the movies they rated at or above their own mean. */
export interface Profile {
  /** In the reduced space. */
  query: Float64Array;
  norm: number;
  /** Mean of the whole history's ratings. */
  meanRating: number;
  /** Mean cosine between the profile and the history movies that have vectors. */
  meanCos: number;
  /** Dense indices of the history movies that have vectors. */
  rated: Int32Array;
}

export interface ContentCoverage {
  /** Movies with a vector, of those with a genome block, metadata features, genome tags. */
  movies: number;
  genome: number;
  features: number;
  genomeDim: number;
  /** Dimensions of the reduced space, and the share of the vectors' squared length they keep. */
  dims: number;
  energy: number;
}

interface ContentState {
  params: Omit<ContentParams, 'predictionScale'> & { predictionScale: number };
  /** Raw ids of the movies with a vector, ascending. */
  movieIds: Int32Array;
  /** Row-major movies × coverage.dims: unit vectors (or zero) in the reduced space. */
  vectors: Float32Array;
  coverage: ContentCoverage;
  users: IdIndex;
  globalMean: number;
  scale: { min: number; max: number };
  /** Damped mean rating per movie with a vector. */
  itemMean: Float32Array;
}

interface ContentMeta {
  format: string;
  version: number;
  params: ContentState['params'];
  globalMean: number;
  scale: { min: number; max: number };
  coverage: ContentCoverage;
}

/**
 * Fallbacks, never an exception:
 * - predict, a movie without a vector: the mean of the user's history, or μ when it is empty;
 * - predict, a user with no history movie that has a vector: the movie's damped mean rating;
 * - recommend, no profile: [] (the caller's popularity fallback answers and reports it);
 * - similar, a movie without a vector (or with nothing in the reduced space): [].
 */
export class ContentModel implements Recommender {
  readonly name = 'content' as const;
  readonly scale: { min: number; max: number };
  private readonly s: ContentState;
  private readonly movies: IdIndex;
  private readonly dims: number;
  /** Marks the history's movies during one recommend (cleared on the way out). */
  private readonly mask: Uint8Array;
  private movieScorer: MovieScorer | null = null;
  private readonly profiles = new HistoryCache<Profile | null>(PROFILE_CACHE);
  private readonly similarCache = new Map<number, { depth: number; list: Scored[] }>();

  constructor(state: ContentState) {
    this.s = state;
    this.scale = state.scale;
    this.movies = new IdIndex(state.movieIds);
    this.dims = state.coverage.dims;
    this.mask = new Uint8Array(this.movies.size);
  }

  get params(): ContentState['params'] {
    return this.s.params;
  }

  /** Movies with a content vector, of those how many have a genome block, and the reduced space. */
  get coverage(): ContentCoverage {
    return { ...this.s.coverage };
  }

  /** @internal set once by training after the fit. */
  setPredictionScale(beta: number): void {
    this.s.params = { ...this.s.params, predictionScale: beta };
    this.profiles.clear();
  }

  knowsUser(userId: number): boolean {
    return this.s.users.index(userId) >= 0;
  }

  /** A movie is known when it has a content vector (rated or not). */
  knowsMovie(movieId: number): boolean {
    return this.movies.index(movieId) >= 0;
  }

  /**
   * user mean + β·(cos(profile, movie) − the user's mean cos), clamped: a movie closer to what the
   * user liked than their typical movie is predicted above their mean.
   */
  predict(user: UserHistory, movieId: number): number {
    const m = this.movies.index(movieId);
    return m < 0 ? this.historyMean(user) : this.predictKnown(this.cachedProfile(user), m);
  }

  /** `predict` for each movie, the profile looked up once. */
  predictMany(user: UserHistory, movieIds: ArrayLike<number>): Float64Array {
    const out = new Float64Array(movieIds.length);
    let profile: Profile | null | undefined;
    for (let i = 0; i < movieIds.length; i++) {
      const m = this.movies.index(movieIds[i]);
      out[i] = m < 0 ? this.historyMean(user) : this.predictKnown(profile === undefined ? (profile = this.cachedProfile(user)) : profile, m);
    }
    return out;
  }

  /** predict for a movie without a vector: the mean of the history, or μ when it is empty. */
  private historyMean(user: UserHistory): number {
    const n = user.movies.length;
    if (n === 0) return clamp(this.s.globalMean, this.scale);
    let sum = 0;
    for (let k = 0; k < n; k++) sum += user.ratings[k];
    return clamp(sum / n, this.scale);
  }

  /** predict for movie row m, from the user's profile. */
  private predictKnown(profile: Profile | null, m: number): number {
    if (profile === null) return clamp(this.s.itemMean[m], this.scale);
    const cos = this.dot(profile.query, m) / profile.norm;
    return clamp(profile.meanRating + this.s.params.predictionScale * (cos - profile.meanCos), this.scale);
  }

  /**
   * The movies with the highest cosine to the user's profile (score = the cosine), history and
   * exclude left out. Over the whole catalogue the dot products are single precision, SIMD: a
   * score may differ from `cosine` in the 7th digit.
   */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const profile = this.cachedProfile(user);
    if (profile === null) return [];
    const ids = this.s.movieIds;
    const mask = this.mask;
    const top = new TopN(Math.floor(n));
    const { exclude, candidates } = options;
    for (const m of profile.rated) mask[m] = 1;
    const marked: number[] = [];
    try {
      if (candidates !== undefined) {
        for (const id of candidates) {
          const m = this.movies.index(id);
          if (m < 0 || mask[m] !== 0) continue;
          mask[m] = 1; // a candidate listed twice is scored once
          marked.push(m);
          if (exclude === undefined || !exclude(id)) top.offer(id, this.dot(profile.query, m) / profile.norm);
        }
        return top.result();
      }
      // One SIMD sweep, then only the groups of 16 movies whose best can still enter are read.
      const scorer = this.scorer();
      const dots = scorer.dots(profile.query);
      const G = MovieScorer.GROUP;
      const norm = profile.norm;
      let threshold = -Infinity;
      const lanes = scorer.laneMax;
      for (let g = 0, at = 0; at < lanes.length; g++, at += 4) {
        if (lanes[at] / norm < threshold && lanes[at + 1] / norm < threshold && lanes[at + 2] / norm < threshold && lanes[at + 3] / norm < threshold) continue;
        for (let m = g * G, end = Math.min(m + G, ids.length); m < end; m++) {
          const cos = dots[m] / norm;
          if (cos < threshold || mask[m] !== 0) continue;
          const id = ids[m];
          if (exclude !== undefined && exclude(id)) continue;
          top.offer(id, cos);
          threshold = top.threshold;
        }
      }
      return top.result();
    } finally {
      for (const m of profile.rated) mask[m] = 0;
      for (const m of marked) mask[m] = 0;
    }
  }

  /**
   * The n movies with the highest positive cosine to this one (score = the cosine of the two unit
   * vectors, in (0, 1]); the lists of the last movies asked are kept.
   */
  similar(movieId: number, n: number): Scored[] {
    const q = this.movies.index(movieId);
    if (q < 0 || !(n >= 1) || this.dims === 0) return [];
    const want = Math.floor(n);
    const hit = this.similarCache.get(q);
    if (hit !== undefined && (hit.depth >= want || hit.list.length < hit.depth)) {
      this.similarCache.delete(q);
      this.similarCache.set(q, hit);
      return hit.list.slice(0, want).map((x) => ({ ...x }));
    }
    const depth = Math.max(want, SIMILAR_DEPTH);
    const scorer = this.scorer();
    const dots = scorer.dots(this.s.vectors.subarray(q * this.dims, (q + 1) * this.dims));
    const G = MovieScorer.GROUP;
    const ids = this.s.movieIds;
    const top = new TopN(depth);
    // Only positive cosines count: the bar starts at 0.
    let threshold = 0;
    const lanes = scorer.laneMax;
    for (let g = 0, at = 0; at < lanes.length; g++, at += 4) {
      // Below the bar when every lane is (threshold starts at 0: only positive cosines count).
      if (!(lanes[at] > 0 && lanes[at] >= threshold) && !(lanes[at + 1] > 0 && lanes[at + 1] >= threshold) && !(lanes[at + 2] > 0 && lanes[at + 2] >= threshold) && !(lanes[at + 3] > 0 && lanes[at + 3] >= threshold)) continue;
      for (let m = g * G, end = Math.min(m + G, ids.length); m < end; m++) {
        if (m === q || !(dots[m] > 0) || dots[m] < threshold) continue;
        top.offer(ids[m], dots[m] > 1 ? 1 : dots[m]);
        threshold = Math.max(0, top.threshold);
      }
    }
    const list = top.result();
    this.similarCache.delete(q);
    this.similarCache.set(q, { depth, list });
    if (this.similarCache.size > SIMILAR_CACHE) this.similarCache.delete(this.similarCache.keys().next().value!);
    return list.slice(0, want).map((x) => ({ ...x }));
  }

  /** The cosine between two movies' vectors, or null when one has none. */
  movieCosine(a: number, b: number): number | null {
    const ma = this.movies.index(a);
    const mb = this.movies.index(b);
    if (ma < 0 || mb < 0) return null;
    const v = this.s.vectors;
    const k = this.dims;
    let s = 0;
    for (let j = 0; j < k; j++) s += v[ma * k + j] * v[mb * k + j];
    return s;
  }

  /** The cosine between a profile and a movie, or null when the movie has no vector. */
  cosine(profile: Profile, movieId: number): number | null {
    const m = this.movies.index(movieId);
    return m < 0 ? null : this.dot(profile.query, m) / profile.norm;
  }

  /** The profile of a history, or null when none of its movies has a vector. */
  profileOf(user: UserHistory): Profile | null {
    const n = user.movies.length;
    if (n === 0) return null;
    let sum = 0;
    for (let k = 0; k < n; k++) sum += user.ratings[k];
    const meanRating = sum / n;
    const rated: number[] = [];
    const likedRows: number[] = [];
    const k = this.dims;
    for (let h = 0; h < n; h++) {
      const m = this.movies.index(user.movies[h]);
      if (m < 0) continue;
      rated.push(m);
      if (user.ratings[h] >= meanRating) likedRows.push(m);
    }
    const liked = likedRows.length;
    if (liked === 0) return null;
    const query = this.vectorSum(likedRows);
    let norm = 0;
    for (let j = 0; j < k; j++) {
      query[j] /= liked;
      norm += query[j] * query[j];
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0)) return null;
    return { query, norm, meanRating, meanCos: this.cosineSum(query, norm, rated) / rated.length, rated: Int32Array.from(rated) };
  }

  /**
   * A profile costs O(history × dims), so the last few are kept by user and reused while the
   * history is the same, e.g. for recommend and then a prediction per returned movie.
   */
  private cachedProfile(user: UserHistory): Profile | null {
    return this.profiles.get(user, (h) => this.profileOf(h));
  }

  /**
   * The sum of the rows' vectors, added in the rows' order: each coordinate gets the same
   * additions in the same order as one row at a time would give it, four rows a pass.
   */
  private vectorSum(rows: readonly number[]): Float64Array {
    const v = this.s.vectors;
    const k = this.dims;
    const sum = new Float64Array(k);
    let r = 0;
    for (; r + 3 < rows.length; r += 4) {
      const a0 = rows[r] * k;
      const a1 = rows[r + 1] * k;
      const a2 = rows[r + 2] * k;
      const a3 = rows[r + 3] * k;
      for (let j = 0; j < k; j++) {
        let x = sum[j];
        x += v[a0 + j];
        x += v[a1 + j];
        x += v[a2 + j];
        x += v[a3 + j];
        sum[j] = x;
      }
    }
    for (; r < rows.length; r++) for (let j = 0, at = rows[r] * k; j < k; j++) sum[j] += v[at + j];
    return sum;
  }

  /**
   * Σ dot(query, m) / norm over the rows, in their order: four rows' dot products at a time, each
   * its own chain of the same operations as `dot`, so the sum is `dot`'s to the last bit — four
   * independent chains keep the processor busy where one waits on each addition.
   */
  private cosineSum(query: Float64Array, norm: number, rows: readonly number[]): number {
    const v = this.s.vectors;
    const k = this.dims;
    let sum = 0;
    let r = 0;
    for (; r + 3 < rows.length; r += 4) {
      const a0 = rows[r] * k;
      const a1 = rows[r + 1] * k;
      const a2 = rows[r + 2] * k;
      const a3 = rows[r + 3] * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < k; j++) {
        const q = query[j];
        s0 += q * v[a0 + j];
        s1 += q * v[a1 + j];
        s2 += q * v[a2 + j];
        s3 += q * v[a3 + j];
      }
      sum += s0 / norm;
      sum += s1 / norm;
      sum += s2 / norm;
      sum += s3 / norm;
    }
    for (; r < rows.length; r++) sum += this.dot(query, rows[r]) / norm;
    return sum;
  }

  /** query · movie m's reduced vector. */
  private dot(query: Float64Array, m: number): number {
    const v = this.s.vectors;
    const k = this.dims;
    let s = 0;
    for (let j = 0, at = m * k; j < k; j++) s += query[j] * v[at + j];
    return s;
  }

  /** Built on first use: a model loaded only to predict never pays for it. */
  private scorer(): MovieScorer {
    return (this.movieScorer ??= new MovieScorer(this.s.vectors, this.movies.size, this.dims));
  }

  /** Writes `<dir>/content.bin`; returns the files written. */
  save(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'content.bin');
    const { s } = this;
    const meta: ContentMeta = { format: FORMAT, version: VERSION, params: s.params, globalMean: s.globalMean, scale: s.scale, coverage: s.coverage };
    writeArrayFile(path, meta, { users: s.users.ids, movieIds: s.movieIds, itemMean: s.itemMean, vectors: s.vectors });
    return [path];
  }

  /** Reads `<dir>/content.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): ContentModel {
    const path = join(dir, 'content.bin');
    const file = readArrayFile<ContentMeta & Partial<ContentMetaV1>>(path);
    const meta = file.meta;
    if (meta?.format !== FORMAT || (meta.version !== VERSION && meta.version !== 1)) throw new CorruptArtefactError(`${path}: not a content model (format ${String(meta?.format)} v${String(meta?.version)})`);
    const common = {
      users: new IdIndex(arrayOf(file, 'users', Int32Array, path)),
      globalMean: meta.globalMean,
      scale: meta.scale,
      itemMean: arrayOf(file, 'itemMean', Float32Array, path),
    };
    if (meta.version === 1) {
      const params = { ...meta.params, dims: DEFAULT_CONTENT_PARAMS.dims };
      return new ContentModel({ ...common, params, ...reduced(fullVectorsV1(file, path), params) });
    }
    const movieIds = arrayOf(file, 'movieIds', Int32Array, path);
    const vectors = arrayOf(file, 'vectors', Float32Array, path);
    const c = meta.coverage;
    if (!Number.isInteger(c?.dims) || c.dims < 0 || c.movies !== movieIds.length || vectors.length !== movieIds.length * c.dims || common.itemMean.length !== movieIds.length) {
      throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    }
    return new ContentModel({ ...common, params: meta.params, movieIds, vectors, coverage: c });
  }
}

/** What version 1 kept instead of `coverage`: the full vectors' shape. */
interface ContentMetaV1 {
  genomeDim: number;
  featureNames: string[];
}

/** The full vectors of a version-1 artefact, checked. */
function fullVectorsV1(file: ArrayFile<Partial<ContentMetaV1>>, path: string): ContentVectors {
  const meta = file.meta;
  if (!Number.isInteger(meta.genomeDim) || !Array.isArray(meta.featureNames)) throw new CorruptArtefactError(`${path}: no genome size or feature names`);
  const featureNames = meta.featureNames;
  const genomeDim = meta.genomeDim!;
  const vectors: ContentVectors = {
    movieIds: arrayOf(file, 'movieIds', Int32Array, path),
    genomeDim,
    genomeRow: arrayOf(file, 'genomeRow', Int32Array, path),
    genome: arrayOf(file, 'genome', Float32Array, path),
    metaPtr: arrayOf(file, 'metaPtr', Int32Array, path),
    metaIdx: arrayOf(file, 'metaIdx', Int32Array, path),
    metaVal: arrayOf(file, 'metaVal', Float32Array, path),
    featureNames,
  };
  const M = vectors.movieIds.length;
  const rows = genomeDim > 0 ? vectors.genome.length / genomeDim : 0;
  if (
    vectors.genomeRow.length !== M ||
    vectors.metaPtr.length !== M + 1 ||
    vectors.metaPtr[M] !== vectors.metaIdx.length ||
    vectors.metaVal.length !== vectors.metaIdx.length ||
    !Number.isInteger(rows) ||
    vectors.genomeRow.some((r) => r >= rows) ||
    vectors.metaIdx.some((f) => f < 0 || f >= featureNames.length)
  ) {
    throw new CorruptArtefactError(`${path}: array lengths do not agree`);
  }
  return vectors;
}
