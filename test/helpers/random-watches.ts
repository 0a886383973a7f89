import type { RatingColumns } from '../../src/recommend/data/ratings-parse.js';
import { Random } from '../../src/util/random.js';

/**
 * Random ratings on a 0.5 grid, denser for the first movies (movie b of `movies` is rated with
 * probability density·(1.7 − 1.5·b/movies)); raw ids are first + step·index, sparse, so the id
 * mapping is exercised.
 */
export function randomWatches(seed: number, users: number, movies: number, density: number, ids: { user: [first: number, step: number]; movie: [first: number, step: number] }): RatingColumns {
  const rng = new Random(seed);
  const u: number[] = [];
  const m: number[] = [];
  const r: number[] = [];
  for (let a = 0; a < users; a++) {
    for (let b = 0; b < movies; b++) {
      if (!rng.chance(density * (1.7 - (1.5 * b) / movies))) continue;
      u.push(ids.user[0] + ids.user[1] * a);
      m.push(ids.movie[0] + ids.movie[1] * b);
      r.push(rng.int(1, 10) / 2);
    }
  }
  return { users: Int32Array.from(u), movies: Int32Array.from(m), ratings: Float32Array.from(r), timestamps: new Float64Array(u.length) };
}
