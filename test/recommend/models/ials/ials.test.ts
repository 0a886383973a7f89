import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInteractions, type Interactions } from '../../../../src/recommend/data/interactions.js';
import type { RatingColumns } from '../../../../src/recommend/data/ratings-parse.js';
import { synthesize } from '../../../../src/recommend/data/synth.js';
import { CorruptArtefactError } from '../../../../src/recommend/models/array-file.js';
import { CgRowSolver, cgScratchFloats, GATHER_MIN } from '../../../../src/recommend/models/ials/ials-cg.js';
import { ialsObjective } from '../../../../src/recommend/models/ials/ials-objective.js';
import { confidenceWeight, DEFAULT_IALS_PARAMS, type IalsParams } from '../../../../src/recommend/models/ials/ials-params.js';
import { IalsRowSolver, regularisedGram } from '../../../../src/recommend/models/ials/ials-solve.js';
import { trainIals, type IalsProgress } from '../../../../src/recommend/models/ials/ials-train.js';
import { IalsModel } from '../../../../src/recommend/models/ials/ials.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { instantiateKernels } from '../../../../src/recommend/models/simd-kernels.js';
import { createArena, f32View, i32View, planArena } from '../../../../src/recommend/models/wasm-arena.js';
import { Random } from '../../../../src/util/random.js';
import { cosine } from '../../../helpers/cosine.js';
import { tempDir } from '../../../helpers/tmp.js';

// ---------------------------------------------------------------------------------------------
// Data and references.

function columns(rows: [number, number, number][]): RatingColumns {
  return {
    users: Int32Array.from(rows.map((r) => r[0])),
    movies: Int32Array.from(rows.map((r) => r[1])),
    ratings: Float32Array.from(rows.map((r) => r[2])),
    timestamps: new Float64Array(rows.length),
  };
}

function history(userId: number, pairs: [number, number][], fresh?: boolean): UserHistory {
  return { userId, movies: Int32Array.from(pairs.map((p) => p[0])), ratings: Float32Array.from(pairs.map((p) => p[1])), ...(fresh ? { fresh } : {}) };
}

/**
 * Three clusters of 30 movies (ids 1–30, 101–130, 201–230): each user watches about half of their
 * own cluster and a few of the others. The most watched movies overall mix the clusters.
 */
function clusterData(): Interactions {
  const rng = new Random(21);
  const rows: [number, number, number][] = [];
  for (let u = 1; u <= 300; u++) {
    const own = u % 3;
    for (let c = 0; c < 3; c++) {
      for (let i = 1; i <= 30; i++) {
        if (c === own && rng.chance(0.5)) rows.push([u, c * 100 + i, rng.int(6, 10) / 2]);
        else if (c !== own && rng.chance(0.05)) rows.push([u, c * 100 + i, rng.int(2, 8) / 2]);
      }
    }
  }
  return buildInteractions(columns(rows));
}

function smallSynth(seed: number): Interactions {
  return buildInteractions(synthesize({ users: 300, movies: 120, ratings: 12_000, rank: 4, noise: 0.5, seed }).columns);
}

const params = (over: Partial<IalsParams> = {}): IalsParams => ({ ...DEFAULT_IALS_PARAMS, rank: 8, iterations: 5, lambda: 1, seed: 3, ...over });

/** The factors of every row, dense index order, from a model (rank per row). */
function factorsOf(model: IalsModel, data: Interactions, side: 'users' | 'movies'): Float32Array {
  const ids = side === 'users' ? data.users.ids : data.movies.ids;
  const out = new Float32Array(ids.length * model.rank);
  ids.forEach((id, i) => out.set(side === 'users' ? model.userVector(id)! : model.movieVector(id)!, i * model.rank));
  return out;
}

/** Every row of one side solved exactly (double precision) against fixed factors: one full ALS half step. */
function exactHalfStep(data: Interactions, side: 'users' | 'movies', fixed: Float32Array, p: IalsParams): Float32Array {
  const k = p.rank;
  const nFixed = side === 'users' ? data.movies.size : data.users.size;
  const ptr = side === 'users' ? data.userPtr : data.moviePtr;
  const cols = side === 'users' ? data.userItems : data.movieUsers;
  const ratings = side === 'users' ? data.userRatings : data.movieRatings;
  const solver = new IalsRowSolver(k, regularisedGram(fixed, nFixed, k, p.lambda));
  const out = new Float32Array((ptr.length - 1) * k);
  for (let r = 0; r + 1 < ptr.length; r++) {
    const from = ptr[r];
    const n = ptr[r + 1] - from;
    const weights = Float64Array.from(ratings.subarray(from, from + n), (x) => confidenceWeight(x, p));
    out.set(solver.solve(cols.subarray(from, from + n), weights, n, fixed)!, r * k);
  }
  return out;
}

function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num = Math.max(num, Math.abs(got[i] - want[i]));
    den = Math.max(den, Math.abs(want[i]));
  }
  return num / den;
}

// ---------------------------------------------------------------------------------------------

describe('iALS row solves', () => {
  it('conjugate gradient converges to the exact solve of the normal equations (padded ranks, long rows gathered)', () => {
    for (const [rank, n] of [[16, 25], [20, 25], [16, 2 * GATHER_MIN]]) {
      const kp = Math.ceil(rank / 16) * 16;
      const rng = new Random(rank + n);
      const nFixed = 60;
      const layout = planArena({
        cols: { kind: 'i32', length: n },
        weights: { kind: 'f32', length: n },
        fixed: { kind: 'f32', length: nFixed * kp },
        out: { kind: 'f32', length: 2 * kp },
        gram: { kind: 'f32', length: kp * kp },
        scratch: { kind: 'f32', length: cgScratchFloats(kp) },
        buffer: { kind: 'f32', length: n * kp },
      });
      const memory = createArena(layout);
      const fixed = new Float32Array(nFixed * rank).map(() => rng.normal(0, 0.3));
      const cols = Int32Array.from({ length: n }, () => rng.int(0, nFixed - 1));
      const weights = Float32Array.from({ length: n }, () => confidenceWeight(rng.int(1, 10) / 2, { alpha: 2, confidence: 'linear', epsilon: 1 }));
      const lambda = 0.5;
      const g = regularisedGram(fixed, nFixed, rank, lambda);
      const padded = f32View(memory, layout, 'fixed');
      for (let r = 0; r < nFixed; r++) padded.set(fixed.subarray(r * rank, (r + 1) * rank), r * kp);
      const gram = f32View(memory, layout, 'gram');
      for (let i = 0; i < kp; i++) for (let j = 0; j < kp; j++) gram[i * kp + j] = i < rank && j < rank ? g[i * rank + j] : i === j ? lambda : 0;
      i32View(memory, layout, 'cols').set(cols);
      f32View(memory, layout, 'weights').set(weights);
      const out = f32View(memory, layout, 'out');
      const side = { colsAt: layout.arrays.cols.offset, weightsAt: layout.arrays.weights.offset, fixedAt: layout.arrays.fixed.offset, outAt: layout.arrays.out.offset, gramAt: layout.arrays.gram.offset };
      const kernels = instantiateKernels(memory);
      // Row 0 is solved with a gather buffer (used when the row is long), row 1 reading in place.
      const gathering = new CgRowSolver(kernels, kp, layout.arrays.scratch.offset, { at: layout.arrays.buffer.offset, rows: n });
      const inPlace = new CgRowSolver(kernels, kp, layout.arrays.scratch.offset);
      const exact = new IalsRowSolver(rank, g).solve(cols, weights, n, fixed)!;

      // Three steps from zero improve on zero; more steps converge (to single precision).
      const x = out.subarray(0, kp);
      const error = () => maxRelativeError(x.subarray(0, rank), exact);
      const start = error();
      gathering.solve(side, 0, 0, n, 3);
      inPlace.solve(side, 1, 0, n, 3);
      const afterThree = error();
      assert.ok(afterThree < start, `rank ${rank}, ${n} interactions: 3 steps ${afterThree} vs start ${start}`);
      assert.deepEqual(out.subarray(kp), x, 'gathered or read in place, the same arithmetic');
      gathering.solve(side, 0, 0, n, 2 * kp);
      assert.ok(error() < 1e-4, `rank ${rank}, ${n} interactions: converged error ${error()}`);
      for (let c = rank; c < kp; c++) assert.equal(x[c], 0, `rank ${rank}: padding column ${c} stays 0`);
    }
  });
});

describe('trainIals', () => {
  it('one iteration with enough CG steps is the exact alternating least-squares step', async () => {
    const data = smallSynth(4);
    const p = params({ iterations: 1, cgSteps: 40, alpha: 2 });
    const rng = new Random(11);
    const start = new Float32Array(data.movies.size * p.rank).map(() => rng.next() * 0.1);
    const model = await trainIals(data, p, { threads: 2, initial: { movieFactors: start } });
    const users = exactHalfStep(data, 'users', start, p);
    const movies = exactHalfStep(data, 'movies', users, p);
    const gotUsers = factorsOf(model, data, 'users');
    const gotMovies = factorsOf(model, data, 'movies');
    assert.ok(maxRelativeError(gotUsers, users) < 2e-3, `users: ${maxRelativeError(gotUsers, users)}`);
    assert.ok(maxRelativeError(gotMovies, movies) < 2e-3, `movies: ${maxRelativeError(gotMovies, movies)}`);
  });

  it('reports progress per phase, and the objective falls every iteration', async () => {
    const data = smallSynth(5);
    const events: IalsProgress[] = [];
    const p = params({ iterations: 6 });
    const model = await trainIals(data, p, { threads: 2, loss: true, onProgress: (e) => events.push(e) });
    const finals = events.filter((e) => e.done === e.total);
    assert.deepEqual(
      finals.map((e) => `${e.iteration}/${e.iterations} ${e.phase}`),
      Array.from({ length: 6 }, (_, i) => [`${i + 1}/6 users`, `${i + 1}/6 movies`]).flat(),
    );
    assert.ok(events.every((e) => e.done <= e.total && e.total === (e.phase === 'users' ? data.users.size : data.movies.size)));
    const losses = finals.filter((e) => e.phase === 'movies').map((e) => e.loss!);
    for (let i = 1; i < losses.length; i++) assert.ok(losses[i] < losses[i - 1], `objective ${losses.join(', ')}`);
    // The last one reported is the model's objective.
    const last = ialsObjective(data, factorsOf(model, data, 'users'), factorsOf(model, data, 'movies'), p.rank, p.rank, p);
    assert.ok(Math.abs(last - losses[5]) < 1e-6 * last);
  });

  it('gives the same model for the same seed whatever the thread count', async () => {
    const data = smallSynth(6);
    const p = params({ iterations: 3 });
    const models = [await trainIals(data, p, { threads: 1 }), await trainIals(data, p, { threads: 2 }), await trainIals(data, p, { threads: 3 })];
    const dirs = models.map(() => tempDir());
    try {
      models.forEach((m, i) => m.save(dirs[i].dir));
      const bytes = dirs.map((d) => readFileSync(join(d.dir, 'ials.bin')));
      assert.ok(bytes[0].equals(bytes[1]), '1 vs 2 threads');
      assert.ok(bytes[0].equals(bytes[2]), '1 vs 3 threads');
    } finally {
      dirs.forEach((d) => d.cleanup());
    }
    const other = await trainIals(data, { ...p, seed: 4 }, { threads: 2 });
    assert.notDeepEqual(other.userVector(data.users.ids[0]), models[0].userVector(data.users.ids[0]));
  });

  it('stops on abort, terminating its workers, and names bad parameters', async () => {
    const data = smallSynth(7);
    const controller = new AbortController();
    await assert.rejects(trainIals(data, params({ iterations: 50 }), { threads: 2, signal: controller.signal, onProgress: () => controller.abort(new Error('stop now')) }), /stop now/);
    await assert.rejects(trainIals(data, params({ rank: 0 })), /rank must be a positive whole number \(got 0\)/);
    await assert.rejects(trainIals(data, params({ alpha: -1 })), /alpha must be a number above 0/);
    await assert.rejects(trainIals(data, params({ confidence: 'square' as 'log' })), /confidence must be 'linear' or 'log'/);
    await assert.rejects(trainIals(data, params(), { threads: 0 }), /threads/);
    await assert.rejects(trainIals(data, params(), { initial: { movieFactors: new Float32Array(3) } }), /initial movieFactors has 3 values/);
  });
});

describe('IalsModel', () => {
  it('recommends to a brand-new user who rated three movies a personal list at once, not the most watched', async () => {
    const data = clusterData();
    const model = await trainIals(data, params({ rank: 8, iterations: 10, alpha: 2, lambda: 1 }), { threads: 2 });
    // The ten most watched movies overall (popularity by count).
    const counts = Array.from(data.movies.ids, (id, m) => ({ id, n: data.moviePtr[m + 1] - data.moviePtr[m] }));
    const popular = counts.sort((a, b) => b.n - a.n || a.id - b.id).slice(0, 10).map((c) => c.id);
    assert.ok(new Set(popular.map((id) => Math.floor(id / 100))).size > 1, 'the most watched mix the clusters');
    assert.equal(model.recommend(emptyHistory(5000), 10).length, 0, 'nothing to go on: the caller falls back to popularity');
    for (const cluster of [0, 1, 2]) {
      const rated: [number, number][] = [1, 2, 3].map((i) => [cluster * 100 + i, 4.5]);
      const user = history(5000 + cluster, rated);
      const recs = model.recommend(user, 10);
      assert.equal(recs.length, 10);
      for (const r of recs) {
        assert.equal(Math.floor(r.movieId / 100), cluster, `cluster ${cluster}: got movie ${r.movieId}`);
        assert.ok(r.movieId % 100 > 3, 'history excluded');
      }
      assert.notDeepEqual(recs.map((r) => r.movieId), popular);
      // The scores are the folded-in vector's preferences.
      const x = model.foldIn(user)!;
      for (const r of recs) {
        const y = model.movieVector(r.movieId)!;
        let s = 0;
        for (let c = 0; c < model.rank; c++) s += x[c] * y[c];
        assert.ok(Math.abs(r.score - s) < 1e-5, `score ${r.score} vs ${s}`);
      }
    }
  });

  it("a known user's new ratings (fresh) change their list; without fresh the trained factors answer", async () => {
    const data = clusterData();
    const model = await trainIals(data, params({ iterations: 10, alpha: 2 }), { threads: 2 });
    const userId = 3; // cluster 0
    const u = data.users.index(userId);
    const own: [number, number][] = [];
    for (let e = data.userPtr[u]; e < data.userPtr[u + 1]; e++) own.push([data.movies.ids[data.userItems[e]], data.userRatings[e]]);
    const before = model.recommend(history(userId, own), 10);
    assert.ok(before.every((r) => r.movieId < 100), 'cluster 0 first');
    // They now watch a lot of cluster 2.
    const more: [number, number][] = [...own, ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((i): [number, number] => [200 + i, 5])];
    const stale = model.recommend(history(userId, more), 10);
    const fresh = model.recommend(history(userId, more, true), 10);
    assert.ok(stale.every((r) => r.movieId < 100), `not fresh, the trained vector: ${stale.map((r) => r.movieId).join(', ')}`);
    assert.ok(fresh.filter((r) => r.movieId >= 200).length >= 5, `fresh: ${fresh.map((r) => r.movieId).join(', ')}`);
    // A training user's own history folded in points where training put them.
    const folded = model.foldIn(history(userId, own))!;
    assert.ok(cosine(folded, model.userVector(userId)!) > 0.99, `cosine ${cosine(folded, model.userVector(userId)!)}`);
  });

  it('recommend ranks by x·y over every movie (brute force), excluding history and `exclude`, within candidates', async () => {
    const data = smallSynth(8);
    const model = await trainIals(data, params({ rank: 20, iterations: 3 }), { threads: 2 });
    const userId = data.users.ids[5];
    const x = model.userVector(userId)!;
    const hist = history(userId, [[data.movies.ids[0], 4], [data.movies.ids[7], 2]]);
    const score = (id: number) => {
      const y = model.movieVector(id)!;
      let s = 0;
      for (let c = 0; c < model.rank; c++) s += x[c] * y[c];
      return s;
    };
    const excluded = new Set([data.movies.ids[3], data.movies.ids[9]]);
    const want = Array.from(data.movies.ids)
      .filter((id) => id !== data.movies.ids[0] && id !== data.movies.ids[7] && !excluded.has(id))
      .map((id) => ({ movieId: id, score: score(id) }))
      .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
      .slice(0, 15);
    const got = model.recommend(hist, 15, { exclude: (id) => excluded.has(id) });
    assert.deepEqual(got.map((r) => r.movieId), want.map((r) => r.movieId));
    got.forEach((r, i) => assert.ok(Math.abs(r.score - want[i].score) < 1e-5));
    const candidates = Int32Array.from([data.movies.ids[0], data.movies.ids[2], data.movies.ids[4], 999_999, data.movies.ids[4]]);
    const within = model.recommend(hist, 10, { candidates });
    assert.deepEqual(
      within.map((r) => r.movieId),
      [data.movies.ids[2], data.movies.ids[4]].sort((a, b) => score(b) - score(a)),
      'only known candidates outside the history, once each',
    );
  });

  it('similar ranks movies by the cosine of their factors, in [0, 1]; predict is the damped baseline', async () => {
    const data = clusterData();
    const model = await trainIals(data, params({ iterations: 8, alpha: 2 }), { threads: 2 });
    const sims = model.similar(5, 8);
    assert.equal(sims.length, 8);
    const y = model.movieVector(5)!;
    for (const s of sims) {
      assert.ok(s.score >= 0 && s.score <= 1 && s.movieId !== 5);
      assert.ok(Math.abs(s.score - Math.max(0, cosine(y, model.movieVector(s.movieId)!))) < 1e-5);
      assert.ok(s.movieId < 100, `movie 5's neighbours are in its cluster (got ${s.movieId})`);
    }
    assert.deepEqual(model.similar(777, 5), []);
    // predict: μ + b_u + b_i, damped, clamped to the scale.
    const p = model.predict(emptyHistory(1), 5);
    assert.ok(p >= model.scale.min && p <= model.scale.max);
    const m = data.movies.index(5);
    let sum = 0;
    for (let e = data.moviePtr[m]; e < data.moviePtr[m + 1]; e++) sum += data.movieRatings[e] - data.globalMean;
    const bi = sum / (data.moviePtr[m + 1] - data.moviePtr[m] + 25);
    assert.ok(Math.abs(p - (data.globalMean + bi)) < 1e-5);
    const lover = history(9, [[1, 5], [2, 5]]);
    assert.ok(model.predict(lover, 5) > p, 'a user who rates high is predicted higher');
    assert.ok(Number.isFinite(model.predict(emptyHistory(9), 123_456)));
  });

  it('saves and loads to identical answers; a damaged or foreign file is refused', async () => {
    const data = smallSynth(9);
    const model = await trainIals(data, params({ iterations: 3 }), { threads: 2 });
    const { dir, cleanup } = tempDir();
    try {
      assert.deepEqual(model.save(dir), ['ials.bin']);
      const loaded = IalsModel.load(dir);
      assert.deepEqual(loaded.params, model.params);
      const newcomer = history(99_999, [[data.movies.ids[1], 5], [data.movies.ids[2], 3]]);
      for (const userId of [data.users.ids[0], data.users.ids[10]]) {
        assert.deepEqual(loaded.recommend(emptyHistory(userId), 10), model.recommend(emptyHistory(userId), 10));
      }
      assert.deepEqual(loaded.recommend(newcomer, 10), model.recommend(newcomer, 10));
      assert.deepEqual(loaded.similar(data.movies.ids[3], 5), model.similar(data.movies.ids[3], 5));
      assert.equal(loaded.predict(newcomer, data.movies.ids[4]), model.predict(newcomer, data.movies.ids[4]));
      const path = join(dir, 'ials.bin');
      const bytes = readFileSync(path);
      bytes[bytes.length - 3] ^= 0xff;
      writeFileSync(path, bytes);
      assert.throws(() => IalsModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
