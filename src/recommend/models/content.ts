// The content-based model: a movie is its vector of content features (content-vectors.ts), a user
// is the mean vector of the movies they liked, and both ranking and prediction come from the
// cosine between the two. It can recommend movies nobody has rated yet.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Catalogue } from '../../pipelines/ratings/catalogue.js';
import type { Genome, MovieTags } from '../data/content-features.js';
import { IdIndex, type Interactions } from '../data/interactions.js';
import { Random } from '../../util/random.js';
import { arrayOf, CorruptArtefactError, readArrayFile, writeArrayFile } from './array-file.js';
import { buildContentVectors, VectorSearch, type ContentVectors, type Query, type VectorParams } from './content-vectors.js';
import { ratingScale } from './popularity.js';
import { clamp, TopN, type RecommendOptions, type Recommender, type Scored, type UserHistory } from './recommender.js';

export interface ContentParams extends VectorParams {
  /**
   * β in predict = user mean + β·(cos − the user's mean cos). 'fit' estimates it at training by
   * least squares on a sample of users (profile from half their ratings, the other half held out).
   */
  predictionScale: number | 'fit';
  /** Users sampled for the fit. */
  fitUsers: number;
  seed: number;
}

export const DEFAULT_CONTENT_PARAMS: ContentParams = {
  genomeShare: 0.8,
  genreShare: 0.6,
  yearShare: 0.15,
  tagShare: 0.25,
  yearBucket: 10,
  minTagMovies: 2,
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
const VERSION = 1;

export function validateContentParams(params: Partial<ContentParams>): ContentParams {
  const p = { ...DEFAULT_CONTENT_PARAMS, ...params };
  for (const key of ['genomeShare', 'genreShare', 'yearShare', 'tagShare'] as const) {
    if (!(Number.isFinite(p[key]) && p[key] >= 0 && p[key] <= 1)) throw new Error(`content: ${key} must be a number in [0, 1], got ${p[key]}`);
  }
  if (!Number.isInteger(p.yearBucket) || p.yearBucket < 1) throw new Error(`content: yearBucket must be an integer >= 1, got ${p.yearBucket}`);
  if (!Number.isInteger(p.minTagMovies) || p.minTagMovies < 1) throw new Error(`content: minTagMovies must be an integer >= 1, got ${p.minTagMovies}`);
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
    vectors,
    users: data.users,
    globalMean: mu,
    scale: ratingScale(data.userRatings),
    itemMean,
  });
  if (p.predictionScale === 'fit') model.setPredictionScale(fitPredictionScale(model, data, p.fitUsers, p.seed));
  return model;
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
  query: Query;
  norm: number;
  /** Mean of the whole history's ratings. */
  meanRating: number;
  /** Mean cosine between the profile and the history movies that have vectors. */
  meanCos: number;
  /** Dense indices of the history movies that have vectors. */
  rated: Int32Array;
  key: number;
}

interface ContentState {
  params: Omit<ContentParams, 'predictionScale'> & { predictionScale: number };
  vectors: ContentVectors;
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
  genomeDim: number;
  featureNames: string[];
}

/**
 * Fallbacks, never an exception:
 * - predict, a movie without a vector: the mean of the user's history, or μ when it is empty;
 * - predict, a user with no history movie that has a vector: the movie's damped mean rating;
 * - recommend, no profile: [] (the caller's popularity fallback answers and reports it);
 * - similar, a movie without a vector: [].
 */
export class ContentModel implements Recommender {
  readonly name = 'content' as const;
  readonly scale: { min: number; max: number };
  private readonly s: ContentState;
  private readonly search: VectorSearch;
  private readonly movies: IdIndex;
  private readonly scores: Float64Array;
  private readonly metaScratch: Float64Array;
  private readonly profiles = new Map<number, Profile>();
  private readonly similarCache = new Map<number, { depth: number; list: Scored[] }>();

  constructor(state: ContentState) {
    this.s = state;
    this.scale = state.scale;
    this.search = new VectorSearch(state.vectors);
    this.movies = new IdIndex(state.vectors.movieIds);
    this.scores = new Float64Array(this.movies.size);
    this.metaScratch = new Float64Array(state.vectors.featureNames.length);
  }

  get params(): ContentState['params'] {
    return this.s.params;
  }

  /** Movies with a content vector, and of those how many have a genome block. */
  get coverage(): { movies: number; genome: number; features: number; genomeDim: number } {
    const v = this.s.vectors;
    return { movies: v.movieIds.length, genome: v.genomeDim > 0 ? v.genome.length / v.genomeDim : 0, features: v.featureNames.length, genomeDim: v.genomeDim };
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
    const n = user.movies.length;
    if (m < 0) {
      if (n === 0) return clamp(this.s.globalMean, this.scale);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += user.ratings[k];
      return clamp(sum / n, this.scale);
    }
    const profile = this.cachedProfile(user);
    if (profile === null) return clamp(this.s.itemMean[m], this.scale);
    const cos = this.search.dot(profile.query, m) / profile.norm;
    return clamp(profile.meanRating + this.s.params.predictionScale * (cos - profile.meanCos), this.scale);
  }

  /** The movies with the highest cosine to the user's profile (score = the cosine), history and exclude left out. */
  recommend(user: UserHistory, n: number, options: RecommendOptions = {}): Scored[] {
    if (!(n >= 1)) return [];
    const profile = this.cachedProfile(user);
    if (profile === null) return [];
    const ids = this.s.vectors.movieIds;
    const rated = new Set<number>(profile.rated);
    const top = new TopN(Math.floor(n));
    const exclude = options.exclude;
    const offer = (m: number, cos: number) => {
      if (cos < top.threshold || rated.has(m)) return;
      if (exclude === undefined || !exclude(ids[m])) top.offer(ids[m], cos);
    };
    if (options.candidates !== undefined) {
      for (const id of options.candidates) {
        const m = this.movies.index(id);
        if (m >= 0) offer(m, this.search.dot(profile.query, m) / profile.norm);
      }
    } else {
      this.search.dotAll(profile.query, this.scores);
      for (let m = 0; m < this.scores.length; m++) offer(m, this.scores[m] / profile.norm);
    }
    return top.result();
  }

  /**
   * The n movies with the highest positive cosine to this one: a scan of every vector on demand
   * (tens of ms with a full genome), so the lists of the last movies asked are kept.
   */
  similar(movieId: number, n: number): Scored[] {
    const q = this.movies.index(movieId);
    if (q < 0 || !(n >= 1)) return [];
    const want = Math.floor(n);
    const hit = this.similarCache.get(q);
    if (hit !== undefined && (hit.depth >= want || hit.list.length < hit.depth)) {
      this.similarCache.delete(q);
      this.similarCache.set(q, hit);
      return hit.list.slice(0, want).map((x) => ({ ...x }));
    }
    const depth = Math.max(want, SIMILAR_DEPTH);
    this.search.dotAll(this.search.queryOf(q), this.scores);
    const ids = this.s.vectors.movieIds;
    const top = new TopN(depth);
    for (let m = 0; m < this.scores.length; m++) if (m !== q && this.scores[m] > 0) top.offer(ids[m], this.scores[m]);
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
    return this.search.dot(this.search.queryOf(ma), mb);
  }

  /** The cosine between a profile and a movie, or null when the movie has no vector. */
  cosine(profile: Profile, movieId: number): number | null {
    const m = this.movies.index(movieId);
    return m < 0 ? null : this.search.dot(profile.query, m) / profile.norm;
  }

  /** The profile of a history, or null when none of its movies has a vector. */
  profileOf(user: UserHistory): Profile | null {
    const n = user.movies.length;
    if (n === 0) return null;
    let sum = 0;
    for (let k = 0; k < n; k++) sum += user.ratings[k];
    const meanRating = sum / n;
    const rated: number[] = [];
    const liked: number[] = [];
    for (let k = 0; k < n; k++) {
      const m = this.movies.index(user.movies[k]);
      if (m < 0) continue;
      rated.push(m);
      if (user.ratings[k] >= meanRating) liked.push(m);
    }
    if (liked.length === 0) return null;
    const { query, norm } = this.search.meanOf(liked, liked.length, this.metaScratch);
    if (!(norm > 0)) return null;
    let cosSum = 0;
    for (const m of rated) cosSum += this.search.dot(query, m) / norm;
    return { query, norm, meanRating, meanCos: cosSum / rated.length, rated: Int32Array.from(rated), key: historyKey(user) };
  }

  /**
   * Profiles cost O(history × vector size), so the last few are kept by user id and reused while
   * the history is the same (same length and hash), e.g. for many predictions of one user.
   */
  private cachedProfile(user: UserHistory): Profile | null {
    const key = historyKey(user);
    const hit = this.profiles.get(user.userId);
    if (hit !== undefined && hit.key === key) {
      this.profiles.delete(user.userId);
      this.profiles.set(user.userId, hit);
      return hit;
    }
    const profile = this.profileOf(user);
    if (profile === null) return null;
    this.profiles.delete(user.userId);
    this.profiles.set(user.userId, profile);
    if (this.profiles.size > PROFILE_CACHE) this.profiles.delete(this.profiles.keys().next().value!);
    return profile;
  }

  /** Writes `<dir>/content.bin`; returns the files written. */
  save(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'content.bin');
    const { s } = this;
    const v = s.vectors;
    const meta: ContentMeta = { format: FORMAT, version: VERSION, params: s.params, globalMean: s.globalMean, scale: s.scale, genomeDim: v.genomeDim, featureNames: v.featureNames };
    writeArrayFile(path, meta, {
      users: s.users.ids,
      movieIds: v.movieIds,
      itemMean: s.itemMean,
      genomeRow: v.genomeRow,
      genome: v.genome,
      metaPtr: v.metaPtr,
      metaIdx: v.metaIdx,
      metaVal: v.metaVal,
    });
    return [path];
  }

  /** Reads `<dir>/content.bin`; a damaged or foreign file throws CorruptArtefactError. */
  static load(dir: string): ContentModel {
    const path = join(dir, 'content.bin');
    const file = readArrayFile<ContentMeta>(path);
    const meta = file.meta;
    if (meta?.format !== FORMAT || meta.version !== VERSION) throw new CorruptArtefactError(`${path}: not a content model (format ${String(meta?.format)} v${String(meta?.version)})`);
    const vectors: ContentVectors = {
      movieIds: arrayOf(file, 'movieIds', Int32Array, path),
      genomeDim: meta.genomeDim,
      genomeRow: arrayOf(file, 'genomeRow', Int32Array, path),
      genome: arrayOf(file, 'genome', Float32Array, path),
      metaPtr: arrayOf(file, 'metaPtr', Int32Array, path),
      metaIdx: arrayOf(file, 'metaIdx', Int32Array, path),
      metaVal: arrayOf(file, 'metaVal', Float32Array, path),
      featureNames: meta.featureNames,
    };
    const M = vectors.movieIds.length;
    const rows = meta.genomeDim > 0 ? vectors.genome.length / meta.genomeDim : 0;
    const itemMean = arrayOf(file, 'itemMean', Float32Array, path);
    if (
      vectors.genomeRow.length !== M ||
      itemMean.length !== M ||
      vectors.metaPtr.length !== M + 1 ||
      vectors.metaPtr[M] !== vectors.metaIdx.length ||
      vectors.metaVal.length !== vectors.metaIdx.length ||
      !Number.isInteger(rows) ||
      vectors.genomeRow.some((r) => r >= rows) ||
      vectors.metaIdx.some((f) => f < 0 || f >= meta.featureNames.length)
    ) {
      throw new CorruptArtefactError(`${path}: array lengths do not agree`);
    }
    return new ContentModel({
      params: meta.params,
      vectors,
      users: new IdIndex(arrayOf(file, 'users', Int32Array, path)),
      globalMean: meta.globalMean,
      scale: meta.scale,
      itemMean,
    });
  }
}

/** A cheap hash of a history (ids and ratings), to tell whether a cached profile still fits. */
function historyKey(user: UserHistory): number {
  let h = user.movies.length | 0;
  for (let k = 0; k < user.movies.length; k++) {
    h = Math.imul(h ^ user.movies[k], 0x9e3779b1);
    h = Math.imul(h ^ Math.round(user.ratings[k] * 16), 0x85ebca6b);
  }
  return h;
}
