import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInteractions, type Interactions } from '../../../../src/recommend/data/interactions.js';
import type { RatingColumns } from '../../../../src/recommend/data/ratings-parse.js';
import { synthesize } from '../../../../src/recommend/data/synth.js';
import { AlsModel, type AlsFactors } from '../../../../src/recommend/models/als/als.js';
import { trainAls, type AlsProgress } from '../../../../src/recommend/models/als/als-train.js';
import { CorruptArtefactError } from '../../../../src/recommend/models/array-file.js';
import { MovieScorer } from '../../../../src/recommend/models/movie-scorer.js';
import { addGramUpper, addMatVec, cholesky, choleskySolve } from '../../../../src/recommend/models/linalg.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { Random } from '../../../../src/util/random.js';
import { tempDir } from '../../../helpers/tmp.js';
import { cosine } from '../../../helpers/cosine.js';

// ---------------------------------------------------------------------------------------------
// Brute-force references and data.

/** x with A x = b by Gaussian elimination with partial pivoting (A row-major n×n). */
function bruteSolve(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number[] {
  const m = Array.from({ length: n }, (_, i) => [...Array.from({ length: n }, (_, j) => a[i * n + j]), b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= n; j++) m[r][j] -= f * m[c][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let j = r + 1; j < n; j++) s -= m[r][j] * x[j];
    x[r] = s / m[r][r];
  }
  return x;
}

/** B Bᵀ + shift·I for a random B: symmetric positive definite. */
function randomSpd(rng: Random, n: number, shift: number): Float64Array {
  const b = Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += b[i * n + p] * b[j * n + p];
      a[i * n + j] = s + (i === j ? shift : 0);
    }
  }
  return a;
}

function history(userId: number, pairs: [number, number][], fresh?: boolean): UserHistory {
  return { userId, movies: Int32Array.from(pairs.map((p) => p[0])), ratings: Float32Array.from(pairs.map((p) => p[1])), ...(fresh ? { fresh } : {}) };
}

function columns(rows: [number, number, number][]): RatingColumns {
  return {
    users: Int32Array.from(rows.map((r) => r[0])),
    movies: Int32Array.from(rows.map((r) => r[1])),
    ratings: Float32Array.from(rows.map((r) => r[2])),
    timestamps: new Float64Array(rows.length),
  };
}

/** A model with known random factors: 3 users, 20 movies (even ids), rank 3, a scale wide enough never to clamp. */
function handFactors(): Required<AlsFactors> {
  const rng = new Random(5);
  const k = 3;
  const users = 3;
  const movies = 20;
  const gauss = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    userIds: Int32Array.from([10, 20, 30]),
    movieIds: Int32Array.from({ length: movies }, (_, i) => 2 * (i + 1)),
    userFactors: gauss(users * k),
    movieFactors: gauss(movies * k),
    userBias: gauss(users),
    movieBias: gauss(movies),
    rank: k,
    globalMean: 3.5,
    scale: { min: -100, max: 100 },
    params: { lambda: 0.1, biasLambda: 0.05 },
  };
}

/** μ + b_u + b_i + p·q straight from the factor arrays (rows in the order given). */
function score(f: Required<AlsFactors>, p: ArrayLike<number> | null, bu: number, movieRow: number): number {
  let s = f.globalMean + bu + f.movieBias[movieRow];
  if (p) for (let c = 0; c < f.rank; c++) s += p[c] * f.movieFactors[movieRow * f.rank + c];
  return s;
}

/** Three clusters of 30 movies (ids 1–30, 101–130, 201–230); each user loves one cluster and dislikes the others. */
function clusterData(): Interactions {
  const rng = new Random(21);
  const rows: [number, number, number][] = [];
  for (let u = 1; u <= 300; u++) {
    const own = u % 3;
    for (let c = 0; c < 3; c++) {
      for (let i = 1; i <= 30; i++) {
        if (c === own && rng.chance(0.5)) rows.push([u, c * 100 + i, rng.int(8, 10) / 2]);
        else if (c !== own && rng.chance(0.2)) rows.push([u, c * 100 + i, rng.int(2, 5) / 2]);
      }
    }
  }
  return buildInteractions(columns(rows));
}

function smallSynth(seed: number): Interactions {
  return buildInteractions(synthesize({ users: 300, movies: 120, ratings: 12_000, rank: 4, noise: 0.5, seed }).columns);
}


// ---------------------------------------------------------------------------------------------

describe('linear algebra', () => {
  it('Cholesky solve matches Gaussian elimination on random positive-definite systems, reading only the lower triangle', () => {
    const rng = new Random(3);
    for (let n = 1; n <= 25; n++) {
      const a = randomSpd(rng, n, 0.1);
      const b = Float64Array.from({ length: n }, () => rng.normal());
      const expected = bruteSolve(a, b, n);
      // Only the lower triangle is read: garbage above it changes nothing.
      const l = a.map((v, at) => (at % n > Math.floor(at / n) ? NaN : v));
      assert.equal(cholesky(l, n), true, `n=${n} is positive definite`);
      const x = b.slice();
      choleskySolve(l, n, x);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i] - expected[i]) <= 1e-8 * (1 + Math.abs(expected[i])), `n=${n} x[${i}]: ${x[i]} vs ${expected[i]}`);
    }
  });

  it('Cholesky reports a matrix that is not positive definite', () => {
    assert.equal(cholesky(Float64Array.from([1, 2, 2, 1]), 2), false); // eigenvalues 3 and −1
    assert.equal(cholesky(new Float64Array(4), 2), false);
  });

  it('the Gram kernel adds the upper triangle of YᵀY of a column-major tile', () => {
    const rng = new Random(9);
    const w = 6;
    const stride = 16;
    const m = 11; // fewer rows than the stride: the rest of the tile is ignored
    const y = Float64Array.from({ length: w * stride }, () => rng.normal());
    const g = new Float64Array(w * w).fill(1);
    addGramUpper(y, stride, m, w, g);
    for (let a = 0; a < w; a++) {
      for (let b = a; b < w; b++) {
        let s = 1;
        for (let p = 0; p < m; p++) s += y[a * stride + p] * y[b * stride + p];
        assert.ok(Math.abs(g[a * w + b] - s) < 1e-12, `g[${a}][${b}]`);
      }
    }
  });
  it('scores every row against a vector: the SIMD kernel and the JS one match the plain dot products', () => {
    const rng = new Random(12);
    for (const [rows, rank] of [[1, 1], [37, 3], [100, 20], [16, 8], [250, 13]]) {
      const m = Float32Array.from({ length: rows * rank }, () => rng.normal());
      const x = Float64Array.from({ length: rank }, () => rng.normal());
      const plain = Array.from({ length: rows }, (_, r) => {
        let s = 0;
        for (let c = 0; c < rank; c++) s += x[c] * m[r * rank + c];
        return s;
      });
      const bias = Float32Array.from({ length: rows }, () => rng.normal());
      const scorer = new MovieScorer(m, rows, rank, bias);
      assert.equal(scorer.simd, true, 'Node 20 has WebAssembly SIMD');
      const scores = Float32Array.from(scorer.scores(x));
      const scoreMax = Array.from({ length: scorer.groups }, (_, g) => scorer.groupMax(g));
      const dots = scorer.dots(x);
      const js = new Float64Array(rows).fill(1);
      addMatVec(m, rows, rank, x, js);
      for (let r = 0; r < rows; r++) {
        assert.ok(Math.abs(dots[r] - plain[r]) < 1e-5 * (1 + Math.abs(plain[r])), `${rows}×${rank} row ${r}: simd ${dots[r]} vs ${plain[r]}`);
        assert.ok(Math.abs(scores[r] - bias[r] - plain[r]) < 1e-5 * (1 + Math.abs(plain[r])), `${rows}×${rank} row ${r}: with bias`);
        assert.ok(Math.abs(js[r] - 1 - plain[r]) < 1e-12 * (1 + Math.abs(plain[r])), `${rows}×${rank} row ${r}: js`);
      }
      // Each group of 16 rows reports its largest result (padding rows beyond the last never count).
      assert.equal(scorer.groups, Math.ceil(rows / 16));
      for (let g = 0; g < scorer.groups; g++) {
        assert.equal(scorer.groupMax(g), Math.max(...dots.subarray(g * 16, Math.min(rows, g * 16 + 16))), `group ${g} of dots`);
        assert.equal(scoreMax[g], Math.max(...scores.subarray(g * 16, Math.min(rows, g * 16 + 16))), `group ${g} of scores`);
      }
    }
  });
});

describe('trainAls', () => {
  it('recovers a synthetic low-rank model: held-out RMSE within 5 % of the noise floor', async () => {
    // 1500 users rate 100 movies each on average (heavy-tailed: some only 5). With ~75 per user
    // (2000 users) the estimation error of light users alone puts ALS at 5–5.5 % above the floor.
    const synth = synthesize({ users: 1500, movies: 500, ratings: 150_000, rank: 5, noise: 0.5, seed: 1 });
    const n = synth.columns.users.length;
    const rng = new Random(77);
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (rng.chance(0.9) ? train : test).push(i);
    const data = buildInteractions(synth.columns, Int32Array.from(train));
    const model = await trainAls(data, { rank: 5, iterations: 15, lambda: 0.03, seed: 3 });
    let se = 0;
    const { users, movies, ratings } = synth.columns;
    for (const i of test) {
      const e = model.predict(emptyHistory(users[i]), movies[i]) - ratings[i];
      se += e * e;
    }
    const rmse = Math.sqrt(se / test.length);
    assert.ok(rmse <= 1.05 * synth.truth.noiseFloorRmse, `held-out RMSE ${rmse.toFixed(4)} vs noise floor ${synth.truth.noiseFloorRmse.toFixed(4)}`);
  });

  it('gives the same model for the same seed whatever the thread count', async () => {
    const data = smallSynth(4);
    const params = { rank: 4, iterations: 3, lambda: 0.1, seed: 8 };
    const one = await trainAls(data, params, { threads: 1 });
    const two = await trainAls(data, params, { threads: 2 });
    const three = await trainAls(data, params, { threads: 3 });
    const dirs = [tempDir(), tempDir(), tempDir()];
    try {
      [one, two, three].forEach((m, i) => m.save(dirs[i].dir));
      const bytes = dirs.map((d) => readFileSync(join(d.dir, 'als.bin')));
      assert.ok(bytes[0].equals(bytes[1]), '1 vs 2 threads');
      assert.ok(bytes[0].equals(bytes[2]), '1 vs 3 threads');
    } finally {
      dirs.forEach((d) => d.cleanup());
    }
    // A different seed starts elsewhere.
    const other = await trainAls(data, { ...params, seed: 9 }, { threads: 2 });
    assert.notDeepEqual(other.userVector(data.users.ids[0]), one.userVector(data.users.ids[0]));
  });

  it('reports progress per phase and the training loss falls', async () => {
    const data = smallSynth(5);
    const events: AlsProgress[] = [];
    const model = await trainAls(data, { rank: 4, iterations: 4, lambda: 0.1, seed: 1 }, { threads: 2, onProgress: (p) => events.push(p) });
    const finals = events.filter((e) => e.done === e.total);
    assert.deepEqual(
      finals.map((e) => `${e.iteration}/${e.iterations} ${e.phase}`),
      ['1/4 users', '1/4 movies', '2/4 users', '2/4 movies', '3/4 users', '3/4 movies', '4/4 users', '4/4 movies'],
    );
    assert.ok(events.every((e) => e.done <= e.total && e.total === (e.phase === 'users' ? data.users.size : data.movies.size)));
    const losses = finals.filter((e) => e.phase === 'movies').map((e) => e.loss!);
    assert.ok(losses.every((l) => Number.isFinite(l) && l > 0));
    assert.ok(losses[3] < losses[0], `loss ${losses.join(', ')}`);
    assert.deepEqual(model.params, { rank: 4, iterations: 4, lambda: 0.1, seed: 1, biasLambda: 0.1 });
    assert.equal(model.userCount, data.users.size);
    assert.equal(model.movieCount, data.movies.size);
  });

  it('stops on abort, terminating its workers, and names bad parameters', async () => {
    const data = smallSynth(6);
    const controller = new AbortController();
    await assert.rejects(
      trainAls(data, { rank: 4, iterations: 50, lambda: 0.1, seed: 1 }, { threads: 2, signal: controller.signal, onProgress: () => controller.abort(new Error('stop now')) }),
      /stop now/,
    );
    await assert.rejects(
      trainAls(data, { rank: 4, iterations: 2, lambda: 0.1, seed: 1 }, { threads: 2, onProgress: () => { throw new Error('callback broke'); } }),
      /callback broke/,
    );
    await assert.rejects(trainAls(data, { rank: 0, iterations: 1, lambda: 0.1, seed: 1 }), /rank must be a positive integer \(got 0\)/);
    await assert.rejects(trainAls(data, { rank: 2, iterations: 1, lambda: -1, seed: 1 }), /lambda/);
    await assert.rejects(trainAls(data, { rank: 2, iterations: 1, lambda: 0.1, seed: 1 }, { threads: 0 }), /threads/);
    // The test process exits only if no worker was left running.
  });
});

describe('AlsModel', () => {
  it('predicts μ + b_u + b_i + p·q, clamped to the scale, with fallbacks for unknown ids', () => {
    const f = handFactors();
    const model = AlsModel.fromFactors(f);
    const p1 = f.userFactors.subarray(3, 6); // user 20 is row 1
    for (let m = 0; m < 20; m++) {
      assert.ok(Math.abs(model.predict(emptyHistory(20), f.movieIds[m]) - score(f, p1, f.userBias[1], m)) < 1e-5);
      // Unknown user, nothing known in the history: μ + b_i.
      assert.ok(Math.abs(model.predict(emptyHistory(999), f.movieIds[m]) - score(f, null, 0, m)) < 1e-5);
    }
    // Unknown movie: μ + b_u; both unknown: μ.
    assert.ok(Math.abs(model.predict(emptyHistory(20), 7) - (3.5 + f.userBias[1])) < 1e-6);
    assert.equal(model.predict(emptyHistory(999), 7), 3.5);
    assert.equal(model.predict(history(999, [[1, 4]]), Number.NaN), 3.5);
    // Clamped to a narrow scale.
    const narrow = AlsModel.fromFactors({ ...f, scale: { min: 3.4, max: 3.6 } });
    for (let m = 0; m < 20; m++) {
      const expected = Math.min(3.6, Math.max(3.4, score(f, p1, f.userBias[1], m)));
      assert.ok(Math.abs(narrow.predict(emptyHistory(20), f.movieIds[m]) - expected) < 1e-6);
    }
    assert.equal(model.knowsUser(20), true);
    assert.equal(model.knowsUser(21), false);
    assert.equal(model.knowsMovie(40), true);
    assert.equal(model.knowsMovie(41), false);
    assert.deepEqual(model.userVector(21), null);
    assert.deepEqual(model.userVector(30)?.factors, f.userFactors.slice(6, 9));
  });

  it('folds a user in: the regularised least squares against fixed movie factors, with and without biases', () => {
    const f = handFactors();
    const model = AlsModel.fromFactors(f);
    const rated: [number, number][] = [[2, 4], [8, 1.5], [14, 5], [30, 3], [40, 2], [41, 5] /* unknown: ignored */];
    const known = rated.filter(([m]) => m % 2 === 0 && m <= 40);
    const n = known.length;
    const solve = (withBias: boolean) => {
      const d = withBias ? 4 : 3;
      const a = new Array<number>(d * d).fill(0);
      const b = new Array<number>(d).fill(0);
      for (const [id, r] of known) {
        const row = id / 2 - 1;
        const z = [...f.movieFactors.subarray(row * 3, row * 3 + 3), ...(withBias ? [1] : [])];
        const t = r - (withBias ? f.globalMean + f.movieBias[row] : 0);
        for (let i = 0; i < d; i++) {
          b[i] += t * z[i];
          for (let j = 0; j < d; j++) a[i * d + j] += z[i] * z[j];
        }
      }
      for (let i = 0; i < d; i++) a[i * d + i] += n * (i < 3 ? 0.1 : 0.05);
      return bruteSolve(a, b, d);
    };
    const expected = solve(true);
    const folded = model.foldIn(history(999, rated))!;
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(folded.factors[c] - expected[c]) < 1e-5, `factor ${c}`);
    assert.ok(Math.abs(folded.bias - expected[3]) < 1e-5, 'bias');
    // An unknown user with that history is predicted through the fold-in; so is a known one marked fresh.
    for (const user of [history(999, rated), history(10, rated, true)]) {
      assert.ok(Math.abs(model.predict(user, 6) - score(f, expected, expected[3], 2)) < 1e-4);
    }
    // Nothing known in the history: no fold-in.
    assert.equal(model.foldIn(history(999, [[41, 5]])), null);
    assert.equal(model.foldIn(emptyHistory(999)), null);

    // Spark's factors have no biases and μ = 0: the fold-in solves the factors alone (regParam as λ).
    const spark = AlsModel.fromFactors({ ...f, userBias: undefined, movieBias: undefined, globalMean: 0, params: { regParam: 0.1 } });
    const plain = solve(false);
    const sparkFolded = spark.foldIn(history(999, rated))!;
    assert.equal(sparkFolded.bias, 0);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(sparkFolded.factors[c] - plain[c]) < 1e-5, `spark factor ${c}`);
  });

  it("folding in a trained user's own history gives back about their trained factors", async () => {
    const data = smallSynth(7);
    const model = await trainAls(data, { rank: 4, iterations: 15, lambda: 0.1, seed: 1 }, { threads: 2 });
    let checked = 0;
    for (let u = 0; u < data.users.size; u += 10) {
      const from = data.userPtr[u];
      const to = data.userPtr[u + 1];
      const movies = Int32Array.from(data.userItems.subarray(from, to), (m) => data.movies.ids[m]);
      const own: UserHistory = { userId: data.users.ids[u], movies, ratings: data.userRatings.slice(from, to), fresh: true };
      const trained = model.userVector(own.userId)!;
      const folded = model.foldIn(own)!;
      assert.ok(cosine(trained.factors, folded.factors) > 0.999, `user ${own.userId}: cosine ${cosine(trained.factors, folded.factors)}`);
      assert.ok(Math.abs(trained.bias - folded.bias) < 0.01, `user ${own.userId}: bias ${trained.bias} vs ${folded.bias}`);
      checked++;
    }
    assert.ok(checked >= 30);
  });

  it('recommends to a brand-new user from the cluster their few ratings favour', async () => {
    const model = await trainAls(clusterData(), { rank: 4, iterations: 10, lambda: 0.1, seed: 2 }, { threads: 2 });
    for (const cluster of [0, 1, 2]) {
      const liked: [number, number][] = [1, 2, 3].map((i) => [cluster * 100 + i, 5]);
      const recs = model.recommend(history(5000 + cluster, liked), 10);
      assert.equal(recs.length, 10);
      for (const r of recs) {
        assert.equal(Math.floor(r.movieId / 100), cluster, `cluster ${cluster}: got movie ${r.movieId}`);
        assert.ok(r.movieId % 100 > 3, 'history excluded');
      }
    }
  });

  it('recommend ranks every movie by predicted rating, excluding history and `exclude`, within candidates', () => {
    const f = handFactors();
    const model = AlsModel.fromFactors(f);
    const p0 = f.userFactors.subarray(0, 3);
    const ranked = (allowed: (id: number) => boolean) =>
      Array.from(f.movieIds)
        .map((id, row) => ({ movieId: id, score: score(f, p0, f.userBias[0], row) }))
        .filter((s) => allowed(s.movieId))
        .sort((a, b) => b.score - a.score || a.movieId - b.movieId);
    const user = history(10, [[4, 5], [12, 1]]);
    const close = (got: { movieId: number; score: number }[], want: { movieId: number; score: number }[]) => {
      assert.deepEqual(got.map((s) => s.movieId), want.map((s) => s.movieId));
      got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-5));
    };
    close(model.recommend(user, 5), ranked((id) => id !== 4 && id !== 12).slice(0, 5));
    const exclude = (id: number) => id % 4 === 0;
    close(model.recommend(user, 5, { exclude }), ranked((id) => id % 4 !== 0 && id !== 12).slice(0, 5));
    close(model.recommend(user, 100), ranked((id) => id !== 4 && id !== 12));
    // Candidates only; a history movie among them is still left out; repeats count once; an unknown candidate scores μ + b_u.
    const candidates = Int32Array.from([6, 4, 8, 8, 40, 777]);
    const got = model.recommend(user, 10, { candidates });
    assert.deepEqual(got.map((s) => s.movieId).sort((a, b) => a - b), [6, 8, 40, 777]);
    assert.ok(Math.abs(got.find((s) => s.movieId === 777)!.score - (3.5 + f.userBias[0])) < 1e-6);
    close(got.filter((s) => s.movieId !== 777), ranked((id) => [6, 8, 40].includes(id)));
    // The mask is cleared between calls: the next user's recommendations are not missing user 10's history.
    assert.ok(model.recommend(emptyHistory(20), 20).some((s) => s.movieId === 4));
    assert.deepEqual(model.recommend(user, 0), []);
  });

  it('recommend over many groups of movies equals the brute-force ranking', () => {
    const rng = new Random(31);
    const k = 6;
    const movies = 1000;
    const f: Required<AlsFactors> = {
      ...handFactors(),
      movieIds: Int32Array.from({ length: movies }, (_, i) => 3 * i + 1),
      movieFactors: Float32Array.from({ length: movies * k }, () => rng.normal()),
      movieBias: Float32Array.from({ length: movies }, () => rng.normal()),
      userFactors: Float32Array.from({ length: 3 * k }, () => rng.normal()),
      rank: k,
    };
    const model = AlsModel.fromFactors(f);
    for (let u = 0; u < 3; u++) {
      const p = f.userFactors.subarray(u * k, (u + 1) * k);
      const seen = new Set(Array.from({ length: 60 }, () => f.movieIds[rng.int(0, movies - 1)]));
      const user = { userId: f.userIds[u], movies: Int32Array.from(seen), ratings: new Float32Array(seen.size).fill(3) };
      for (const exclude of [undefined, (id: number) => id % 7 === 0]) {
        const want = Array.from(f.movieIds)
          .map((id, row) => ({ movieId: id, score: score(f, p, f.userBias[u], row) }))
          .filter((s) => !seen.has(s.movieId) && !(exclude?.(s.movieId) ?? false))
          .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
          .slice(0, 40);
        const got = model.recommend(user, 40, { exclude });
        assert.deepEqual(got.map((s) => s.movieId), want.map((s) => s.movieId), `user ${u}`);
        got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-5));
      }
    }
  });

  it('folds a history in once for recommend and the predictions after it, and again when the history changes', () => {
    const f = handFactors();
    const model = AlsModel.fromFactors(f);
    let solves = 0;
    const foldIn = model.foldIn.bind(model);
    model.foldIn = (h) => {
      solves++;
      return foldIn(h);
    };
    const expected = (h: UserHistory, movieId: number) => {
      const v = foldIn(h)!;
      return score(f, v.factors, v.bias, f.movieIds.indexOf(movieId));
    };
    // User 10 is known; fresh ratings make ALS fold them in.
    const user = history(10, [[2, 5], [8, 1], [14, 4.5], [20, 2]], true);
    const recs = model.recommend(user, 5);
    for (const s of recs) assert.ok(Math.abs(model.predict(user, s.movieId) - expected(user, s.movieId)) < 1e-5);
    assert.ok(Math.abs(recs[0].score - expected(user, recs[0].movieId)) < 1e-5);
    assert.equal(solves, 1, 'one fold-in for recommend and five predictions');
    // The same history rebuilt (as a service does per request) is not folded in again.
    model.predict(history(10, [[2, 5], [8, 1], [14, 4.5], [20, 2]], true), 4);
    assert.equal(solves, 1);
    // A rating changed in place, a rating added, another user with the same ratings: folded in anew.
    user.ratings[1] = 5;
    assert.ok(Math.abs(model.predict(user, 4) - expected(user, 4)) < 1e-5, 'the changed rating counts');
    assert.equal(solves, 2);
    const longer = history(10, [[2, 5], [8, 5], [14, 4.5], [20, 2], [26, 1]], true);
    assert.ok(Math.abs(model.predict(longer, 4) - expected(longer, 4)) < 1e-5);
    const other = { ...longer, userId: 999 };
    assert.ok(Math.abs(model.predict(other, 4) - expected(other, 4)) < 1e-5);
    assert.equal(solves, 4);
    // The trained factors of a known user who is not fresh need no fold-in at all.
    model.predict(history(10, [[2, 5]]), 4);
    assert.equal(solves, 4);
  });

  it('never throws for an unknown user or movie', () => {
    const f = handFactors();
    const model = AlsModel.fromFactors(f);
    // An unknown user with no usable history is ranked by μ + b_i.
    const byBias = Array.from(f.movieIds)
      .map((id, row) => ({ id, b: f.movieBias[row] }))
      .sort((a, b) => b.b - a.b || a.id - b.id)
      .slice(0, 4)
      .map((s) => s.id);
    assert.deepEqual(model.recommend(history(999, [[41, 5]]), 4).map((s) => s.movieId), byBias);
    assert.deepEqual(model.similar(41, 5), []);
    assert.equal(model.similar(2, 5).length, 5);
    assert.ok(Number.isFinite(model.predict(history(-5, [[-1, Number.NaN]]), -3)));
    assert.deepEqual(model.recommend(emptyHistory(999), 3, { candidates: Int32Array.from([12345]) }), [{ movieId: 12345, score: 3.5 }]);
  });

  it('similar ranks movies by cosine similarity of their factors', () => {
    const f = handFactors();
    const model = AlsModel.fromFactors(f);
    const q = (row: number) => f.movieFactors.subarray(row * 3, row * 3 + 3);
    const want = Array.from(f.movieIds)
      .map((id, row) => ({ movieId: id, score: cosine(q(4), q(row)) }))
      .filter((s) => s.movieId !== 10)
      .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
      .slice(0, 6);
    const got = model.similar(10, 6);
    assert.deepEqual(got.map((s) => s.movieId), want.map((s) => s.movieId));
    got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-5));
  });

  it('accepts ids in any order and refuses inconsistent factors, naming the field', () => {
    const f = handFactors();
    const sorted = AlsModel.fromFactors(f);
    // Reverse the movies, with their rows.
    const order = Array.from({ length: 20 }, (_, i) => 19 - i);
    const shuffled = AlsModel.fromFactors({
      ...f,
      movieIds: Int32Array.from(order, (r) => f.movieIds[r]),
      movieFactors: Float32Array.from(order.flatMap((r) => [...f.movieFactors.subarray(r * 3, r * 3 + 3)])),
      movieBias: Float32Array.from(order, (r) => f.movieBias[r]),
    });
    assert.deepEqual(shuffled.movieIds, f.movieIds);
    for (const id of f.movieIds) assert.equal(shuffled.predict(emptyHistory(30), id), sorted.predict(emptyHistory(30), id));
    assert.throws(() => AlsModel.fromFactors({ ...f, userIds: Int32Array.from([10, 30, 10]) }), /userIds: id 10 appears twice/);
    assert.throws(() => AlsModel.fromFactors({ ...f, userFactors: new Float32Array(8) }), /userFactors has 8 values, expected 3 users × rank 3/);
    assert.throws(() => AlsModel.fromFactors({ ...f, movieBias: new Float32Array(2) }), /movieBias/);
    assert.throws(() => AlsModel.fromFactors({ ...f, rank: 0 }), /rank/);
  });

  it('saves and loads to identical predictions; a damaged file is refused', async () => {
    const data = smallSynth(8);
    const model = await trainAls(data, { rank: 4, iterations: 3, lambda: 0.1, seed: 1 }, { threads: 2 });
    const { dir, cleanup } = tempDir();
    try {
      assert.deepEqual(model.save(dir), ['als.bin']);
      const loaded = AlsModel.load(dir);
      assert.deepEqual(loaded.params, model.params);
      assert.deepEqual(loaded.scale, model.scale);
      const newcomer = history(424242, [[data.movies.ids[0], 4], [data.movies.ids[5], 2]]);
      for (const userId of [...data.users.ids.subarray(0, 20), 424242]) {
        const user = userId === 424242 ? newcomer : emptyHistory(userId);
        for (const movieId of [...data.movies.ids.subarray(0, 30), 99999]) assert.equal(loaded.predict(user, movieId), model.predict(user, movieId));
        assert.deepEqual(loaded.recommend(user, 10), model.recommend(user, 10));
      }
      assert.deepEqual(loaded.similar(data.movies.ids[3], 5), model.similar(data.movies.ids[3], 5));

      const path = join(dir, 'als.bin');
      const bytes = readFileSync(path);
      bytes[bytes.length - 100] ^= 0x01;
      writeFileSync(path, bytes);
      assert.throws(() => AlsModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
