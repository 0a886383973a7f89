// The sweep without movie biases (iALS's) reads the movies longest vector first and stops when no
// movie left can enter: its answer must be the whole sweep's, scores to the bit, ties included.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IalsModel } from '../../../src/recommend/models/ials/ials.js';
import { DEFAULT_IALS_PARAMS } from '../../../src/recommend/models/ials/ials-params.js';
import { MovieScorer } from '../../../src/recommend/models/movie-scorer.js';
import { type Scored, type UserHistory } from '../../../src/recommend/models/recommender.js';
import { Random } from '../../../src/util/random.js';

/** Movies whose lengths span three orders of magnitude (a few long ones, as popular movies are), duplicates and zero rows among them, some along users' own vectors. */
function factors(random: Random, users: number, movies: number, rank: number, zeroUsers = 0) {
  const movieFactors = new Float32Array(movies * rank);
  for (let m = 0; m < movies; m++) {
    const length = 10 ** (-2 + 3 * random.next() ** 3);
    for (let c = 0; c < rank; c++) movieFactors[m * rank + c] = length * (random.next() * 2 - 1);
  }
  // Ties: movie 2k+1 copies movie 2k for the first tenth; a few all-zero rows.
  for (let m = 0; m + 1 < movies / 10; m += 2) movieFactors.copyWithin((m + 1) * rank, m * rank, (m + 1) * rank);
  for (const m of [movies - 1, movies - 5, 3]) movieFactors.fill(0, m * rank, (m + 1) * rank);
  const userFactors = Float32Array.from({ length: users * rank }, () => random.next() * 2 - 1);
  userFactors.fill(0, 0, zeroUsers * rank);
  // Where the bound is tight: for the first users, three mid-length movies along their own vector
  // (x·y = |x|·|y|, up to rounding), behind longer movies that point elsewhere.
  for (let u = zeroUsers; u < Math.min(users, 12); u++) {
    for (let t = 0; t < 3 && 3 * u + t < movies / 2; t++) {
      const m = Math.floor(movies / 2) + 3 * u + t;
      for (let c = 0; c < rank; c++) movieFactors[m * rank + c] = userFactors[u * rank + c] * 0.15 * (1 + t);
    }
  }
  const userIds = Int32Array.from({ length: users }, (_, u) => u + 1);
  const movieIds = Int32Array.from({ length: movies }, (_, m) => 10 + 3 * m);
  return IalsModel.fromFactors({
    rank, userIds, movieIds, userFactors, movieFactors,
    itemBias: new Float32Array(movies), globalMean: 3.5, scale: { min: 0.5, max: 5 },
    params: { ...DEFAULT_IALS_PARAMS, rank },
  });
}

/** The whole sweep's answer: every movie's single-precision score, the best n by (score desc, id asc). */
function wholeSweep(model: IalsModel, x: ArrayLike<number>, n: number, skip: (id: number) => boolean): Scored[] {
  const ids = Int32Array.from({ length: model.movieCount }, (_, m) => 10 + 3 * m);
  const all = new Float32Array(ids.length * model.rank);
  ids.forEach((id, m) => all.set(model.movieVector(id)!, m * model.rank));
  const dots = new MovieScorer(all, ids.length, model.rank).dots(x);
  return Array.from(ids, (movieId, m) => ({ movieId, score: dots[m] }))
    .filter((s) => !skip(s.movieId) && !Number.isNaN(s.score))
    .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
    .slice(0, n);
}

describe('the sweep by vector length', () => {
  for (const [movies, rank] of [[3000, 16], [517, 64], [40, 3]] as const) {
    it(`gives the whole sweep's list for every n, history and exclusion (${movies} movies, rank ${rank})`, () => {
      const random = new Random(movies + rank);
      const model = factors(random, 30, movies, rank);
      for (let u = 1; u <= 30; u++) {
        const x = model.userVector(u)!;
        const history: UserHistory = { userId: u, movies: Int32Array.from({ length: u % 7 }, (_, k) => 10 + 3 * ((u * 31 + k * 97) % movies)), ratings: new Float32Array(u % 7).fill(4) };
        const seen = new Set(history.movies);
        const excluded = new Set(u % 3 === 0 ? [10, 13, 16, 10 + 3 * (movies - 2)] : []);
        for (const n of [1, 2, 10, 50, 200, movies + 5]) {
          const got = model.recommend(history, n, excluded.size > 0 ? { exclude: (id) => excluded.has(id) } : {});
          const want = wholeSweep(model, x, n, (id) => seen.has(id) || excluded.has(id));
          assert.deepEqual(got, want, `user ${u}, n ${n}`);
        }
      }
    });
  }

  it('and so with the JS kernel, where WebAssembly is missing (this file again, in a process without it)', { skip: !new MovieScorer(new Float32Array(4), 1, 4).simd && 'running without WebAssembly already' }, () => {
    // Without the runner's context variable, or the child reports to the runner instead of stdout.
    const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--no-expose-wasm', '--test', '--test-reporter=tap', fileURLToPath(import.meta.url)], { encoding: 'utf8', env });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /# pass [1-9]/);
    assert.match(run.stdout, /# fail 0/);
  });

  it('a user vector of zeros ties every movie at 0: the lowest ids win', () => {
    const model = factors(new Random(2), 3, 100, 8, 1);
    const history: UserHistory = { userId: 1, movies: Int32Array.from([13]), ratings: Float32Array.from([4]) };
    assert.deepEqual(model.recommend(history, 5), [10, 16, 19, 22, 25].map((movieId) => ({ movieId, score: 0 })));
  });
});
