import { Random } from '../../util/random.js';
import type { Catalogue } from '../../movies/catalogue.js';
import { MOVIELENS_GENRES } from '../../movies/movie.js';

export interface RatingModelOptions {
  catalogue: Catalogue;
  users: number;
  seed: number;
  /** Latent dimensions. */
  rank?: number;
  /** Standard deviation of the noise added to each rating before rounding. */
  noise?: number;
}

/** Popularity skew: the n-th most popular movie is chosen with weight 1 / n^s. */
const MOVIE_ZIPF = 1.0;
const USER_ZIPF = 0.7;
const GLOBAL_MEAN = 3.45;

/**
 * A latent-factor model of who rates what and how: user and movie factors and biases, a per-user
 * taste for each genre, and Zipf-skewed popularity so a few movies get most ratings (popular
 * movies also rate a little higher, as in MovieLens). Ratings land on the 0.5–5 half-star scale,
 * whole stars more often than half stars, with a mean near 3.5.
 */
export class LatentRatingModel {
  readonly rank: number;
  readonly noise: number;
  readonly userCount: number;
  readonly movieIds: Int32Array;
  private readonly userFactors: Float32Array;
  private readonly movieFactors: Float32Array;
  private readonly userBias: Float32Array;
  private readonly movieBias: Float32Array;
  private readonly userTaste: Float32Array;
  private readonly movieGenres: Uint8Array[];
  private readonly movieCdf: Float64Array;
  private readonly movieOrder: Int32Array;
  private readonly userCdf: Float64Array;
  private readonly userOrder: Int32Array;

  constructor(options: RatingModelOptions) {
    if (!Number.isInteger(options.users) || options.users < 1) throw new Error(`users must be a positive integer, got ${options.users}`);
    if (options.catalogue.size === 0) throw new Error('the movie catalogue is empty');
    const rng = new Random(options.seed);
    this.rank = options.rank ?? 10;
    this.noise = options.noise ?? 0.5;
    this.userCount = options.users;
    const movies = options.catalogue.all();
    this.movieIds = Int32Array.from(movies, (m) => m.movieId);
    const m = movies.length;
    const k = this.rank;
    // Each factor entry ~ N(0, σ) with σ² √k ≈ 0.45, so the interaction term has sd ≈ 0.45.
    const sigma = Math.sqrt(0.45 / Math.sqrt(k));
    this.userFactors = Float32Array.from({ length: options.users * k }, () => rng.normal(0, sigma));
    this.movieFactors = Float32Array.from({ length: m * k }, () => rng.normal(0, sigma));
    this.userBias = Float32Array.from({ length: options.users }, () => rng.normal(0, 0.3));
    this.userTaste = Float32Array.from({ length: options.users * MOVIELENS_GENRES.length }, () => rng.normal(0, 0.25));
    const genreIndex = new Map<string, number>(MOVIELENS_GENRES.map((g, i) => [g, i]));
    this.movieGenres = movies.map((mv) => Uint8Array.from(mv.genres.filter((g) => genreIndex.has(g)).map((g) => genreIndex.get(g)!)));

    this.movieOrder = shuffled(m, rng);
    this.movieCdf = zipfCdf(m, MOVIE_ZIPF);
    this.userOrder = shuffled(options.users, rng);
    this.userCdf = zipfCdf(options.users, USER_ZIPF);
    const popularityRank = new Int32Array(m);
    this.movieOrder.forEach((movieIndex, r) => (popularityRank[movieIndex] = r));
    this.movieBias = Float32Array.from({ length: m }, (_, i) => rng.normal(0, 0.3) + 0.3 * (0.5 - popularityRank[i]! / m));
  }

  /** The noiseless score of a user (index) for a movie (index). */
  score(user: number, movie: number): number {
    const k = this.rank;
    let dot = 0;
    for (let f = 0; f < k; f++) dot += this.userFactors[user * k + f]! * this.movieFactors[movie * k + f]!;
    const genres = this.movieGenres[movie]!;
    let taste = 0;
    if (genres.length > 0) {
      for (const g of genres) taste += this.userTaste[user * MOVIELENS_GENRES.length + g]!;
      taste /= genres.length;
    }
    return GLOBAL_MEAN + this.userBias[user]! + this.movieBias[movie]! + dot + taste;
  }

  /** One rating: a user and a movie drawn by popularity, and the rating the model gives. */
  sample(rng: Random): { userId: number; movieId: number; rating: number } {
    const user = this.userOrder[drawIndex(this.userCdf, rng.next())]!;
    const movie = this.movieOrder[drawIndex(this.movieCdf, rng.next())]!;
    const raw = this.score(user, movie) + rng.normal(0, this.noise);
    return { userId: user + 1, movieId: this.movieIds[movie]!, rating: toStars(raw, rng) };
  }
}

/** Rounds to the half-star scale; whole stars are chosen more often, as people do. */
export function toStars(raw: number, rng: Random): number {
  const clamped = Math.min(5, Math.max(0.5, raw));
  const stars = rng.chance(0.6) ? Math.max(1, Math.round(clamped)) : Math.round(clamped * 2) / 2;
  return Math.min(5, Math.max(0.5, stars));
}

function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cdf[i] = total += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) cdf[i]! /= total;
  return cdf;
}

/** The first index whose cumulative weight exceeds u (binary search). */
function drawIndex(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function shuffled(n: number, rng: Random): Int32Array {
  const a = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
