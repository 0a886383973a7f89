// A reproducible stand-in for a MovieLens catalogue, for demos and tests without downloaded data.
import { Random } from '../util/random.js';
import { Catalogue } from './catalogue.js';
import { MOVIELENS_GENRES, type Movie } from './movie.js';

type Genre = (typeof MOVIELENS_GENRES)[number];

/** Relative genre frequencies, roughly those of ml-latest-small (Drama and Comedy dominate, Film-Noir is rare). */
const GENRE_WEIGHTS: Record<Genre, number> = {
  Drama: 4361, Comedy: 3756, Thriller: 1894, Action: 1828, Romance: 1596, Adventure: 1263, Crime: 1199,
  'Sci-Fi': 980, Horror: 978, Fantasy: 779, Children: 664, Animation: 611, Mystery: 573, Documentary: 440,
  War: 382, Musical: 334, Western: 167, IMAX: 158, 'Film-Noir': 87,
};

const ADJECTIVES = [
  'Silent', 'Broken', 'Golden', 'Last', 'Hidden', 'Crimson', 'Midnight', 'Lonely', 'Wild', 'Frozen',
  'Burning', 'Lost', 'Electric', 'Distant', 'Savage', 'Quiet', 'Endless', 'Dark', 'Bright', 'Forgotten',
];
const NOUNS = [
  'Harbor', 'Empire', 'Garden', 'River', 'Witness', 'Stranger', 'Kingdom', 'Highway', 'Summer', 'Shadow',
  'Horizon', 'Letter', 'Island', 'Machine', 'Promise', 'Frontier', 'Dream', 'Storm', 'Circus', 'Detective',
];
const PLACES = ['Paris', 'the North', 'Tomorrow', 'Mars', 'the Valley', 'Brooklyn', 'the Deep', 'Avalon'];

/** `count` movies with ids 1..count; the same seed always gives the same catalogue. */
export function syntheticCatalogue(count: number, seed: number): Catalogue {
  const rng = new Random(seed);
  const used = new Set<string>();
  const movies: Movie[] = [];
  for (let movieId = 1; movieId <= count; movieId++) {
    const year = randomYear(rng);
    const name = uniqueName(rng, used);
    movies.push({ movieId, title: `${name} (${year})`, year, genres: pickGenres(rng) });
  }
  return Catalogue.fromMovies(movies);
}

/** Mostly around 1990–2015, where MovieLens holds most movies, with a uniform tail back to 1920. */
function randomYear(rng: Random): number {
  if (rng.chance(0.2)) return rng.int(1920, 2024);
  for (;;) {
    const year = Math.round(rng.normal(2003, 14));
    if (year >= 1920 && year <= 2024) return year;
  }
}

function randomName(rng: Random): string {
  const adj = rng.pick(ADJECTIVES);
  const noun = rng.pick(NOUNS);
  const r = rng.next();
  if (r < 0.35) return `The ${adj} ${noun}`;
  if (r < 0.55) return `${adj} ${noun}`;
  if (r < 0.7) return `${noun} of ${rng.pick(PLACES)}`;
  if (r < 0.8) return `Return of the ${noun}`;
  if (r < 0.9) return `The ${noun} ${rng.pick(['II', 'III'])}`;
  return `${adj} ${noun} II`;
}

/** A fresh name when one turns up within a few tries, otherwise a numbered one so titles stay unique. */
function uniqueName(rng: Random, used: Set<string>): string {
  let name = randomName(rng);
  for (let tries = 0; used.has(name) && tries < 10; tries++) name = randomName(rng);
  const base = name;
  for (let n = 2; used.has(name); n++) name = `${base} ${n}`;
  used.add(name);
  return name;
}

/** 1–3 distinct genres drawn by weight without replacement, listed in MOVIELENS_GENRES order. */
function pickGenres(rng: Random): string[] {
  const r = rng.next();
  const n = r < 0.35 ? 1 : r < 0.75 ? 2 : 3;
  const pool: Genre[] = [...MOVIELENS_GENRES];
  const chosen = new Set<Genre>();
  while (chosen.size < n) {
    const total = pool.reduce((s, g) => s + GENRE_WEIGHTS[g], 0);
    let x = rng.next() * total;
    // The fallback guards against float rounding leaving x just above zero.
    const genre = pool.find((g) => (x -= GENRE_WEIGHTS[g]) < 0) ?? (pool[pool.length - 1] as Genre);
    chosen.add(genre);
    pool.splice(pool.indexOf(genre), 1);
  }
  return MOVIELENS_GENRES.filter((g) => chosen.has(g));
}
