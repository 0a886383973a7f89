import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildInteractions } from '../../../../src/recommend/data/interactions.js';
import { join } from 'node:path';
import { CorruptArtefactError, readArrayFile, writeArrayFile } from '../../../../src/recommend/models/array-file.js';
import { PopularityModel } from '../../../../src/recommend/models/popularity/popularity.js';
import { emptyHistory, type UserHistory } from '../../../../src/recommend/models/recommender.js';
import { Catalogue } from '../../../../src/movies/catalogue.js';
import { Random } from '../../../../src/util/random.js';
import { tempDir } from '../../../helpers/tmp.js';

const catalogue = Catalogue.fromMovies([
  { movieId: 1, title: 'One (1990)', year: 1990, genres: ['Comedy'] },
  { movieId: 2, title: 'Two (1991)', year: 1991, genres: ['Drama'] },
  { movieId: 3, title: 'Three (1992)', year: 1992, genres: ['Comedy', 'Drama'] },
  { movieId: 4, title: 'Four (1993)', year: 1993, genres: ['Horror'] },
]);

// Movie 1: 5, 5 — movie 2: 4 × 4 — movie 3: 1, 2, 3; movie 4 has no ratings.
const rows: [number, number, number][] = [
  [10, 1, 5], [11, 1, 5],
  [10, 2, 4], [11, 2, 4], [12, 2, 4], [13, 2, 4],
  [10, 3, 1], [12, 3, 2], [13, 3, 3],
];
function train(): PopularityModel {
  const data = buildInteractions({
    users: Int32Array.from(rows.map((r) => r[0])),
    movies: Int32Array.from(rows.map((r) => r[1])),
    ratings: Float32Array.from(rows.map((r) => r[2])),
    timestamps: new Float64Array(rows.length),
  });
  return PopularityModel.train(data, catalogue);
}

const ids = (list: { movieId: number }[]) => list.map((s) => s.movieId);
const history = (userId: number, movies: number[], ratings: number[]): UserHistory => ({ userId, movies: Int32Array.from(movies), ratings: Float32Array.from(ratings) });

describe('PopularityModel', () => {
  it('ranks by the Bayesian average with C = the median count', () => {
    const model = train();
    const m = 32 / 9;
    const C = 3; // counts 2, 4, 3
    assert.equal(model.prior, C);
    assert.ok(Math.abs(model.globalMean - m) < 1e-12);
    const expected = [(C * m + 10) / (C + 2), (C * m + 16) / (C + 4), (C * m + 6) / (C + 3)];
    const top = model.top(10);
    assert.deepEqual(ids(top), [1, 2, 3]); // movie 4 was never rated
    top.forEach((s, i) => assert.ok(Math.abs(s.score - expected[i]) < 1e-9));
    assert.ok(Math.abs(model.predict(emptyHistory(1), 2) - expected[1]) < 1e-9);
    assert.ok(Math.abs(model.predict(emptyHistory(1), 4) - m) < 1e-9, 'a movie without ratings gets the global mean');
    assert.ok(Math.abs(model.predict(emptyHistory(1), 404) - m) < 1e-9, 'an unknown movie gets the global mean');
  });

  it('filters by genre, case-insensitively, and honours exclude', () => {
    const model = train();
    assert.deepEqual(ids(model.top(10, 'Drama')), [2, 3]);
    assert.deepEqual(ids(model.top(10, 'comedy')), [1, 3]);
    assert.deepEqual(ids(model.top(10, 'Comedy', (id) => id === 1)), [3]);
    assert.deepEqual(ids(model.top(1, 'DRAMA')), [2]);
    assert.deepEqual(model.top(10, 'Horror'), []);
    assert.deepEqual(model.top(10, 'Western'), []);
    assert.deepEqual(model.top(0), []);
  });

  it('add() updates counts and the ranking; a new movie gets a slot', () => {
    const model = train();
    for (let i = 0; i < 10; i++) model.add(3, 5);
    // Movie 3: 13 ratings summing 56; all: 19 summing 82.
    const m = 82 / 19;
    const C = 3;
    const s1 = (C * m + 10) / (C + 2);
    const s2 = (C * m + 16) / (C + 4);
    const s3 = (C * m + 56) / (C + 13);
    assert.ok(s3 > s2, 'the example must change the order');
    assert.deepEqual(ids(model.top(3)), [1, 3, 2]);
    assert.ok(Math.abs(model.score(3) - s3) < 1e-9 && Math.abs(model.score(1) - s1) < 1e-9);
    assert.equal(model.count(3), 13);
    model.add(99, 5);
    assert.equal(model.knowsMovie(99), true);
    const m2 = 87 / 20;
    assert.ok(Math.abs(model.score(99) - (C * m2 + 5) / (C + 1)) < 1e-9);
    assert.ok(ids(model.top(10)).includes(99));
    assert.deepEqual(ids(model.top(10, 'Drama')), [3, 2], 'a movie outside the catalogue has no genre');
    assert.throws(() => model.add(3, Number.NaN), /rating of movie 3 must be a finite number/);
    assert.throws(() => model.add(1.5, 4), /movie id must be an integer, got 1.5/);
  });

  it('recommend leaves out the history and excluded movies; never throws for strangers', () => {
    const model = train();
    assert.deepEqual(ids(model.recommend(history(10, [1], [5]), 10)), [2, 3]);
    assert.deepEqual(ids(model.recommend(history(10, [1], [5]), 10, { exclude: (id) => id === 2 })), [3]);
    assert.deepEqual(ids(model.recommend(emptyHistory(777), 2)), [2, 3], 'by count: 4 and 3 ratings');
    assert.deepEqual(ids(model.recommend(emptyHistory(777), 10, { candidates: Int32Array.from([3, 2, 4, 404]) })), [2, 3]);
    assert.deepEqual(model.similar(), []);
    assert.equal(model.knowsUser(), false);
    assert.equal(model.knowsMovie(4), false);
  });

  it('top equals a full scan of the Bayesian averages, recommend and mostPopular one of the counts, through a stream of adds', () => {
    const rng = new Random(17);
    const genreNames = ['Action', 'Comedy', 'Drama', 'Horror', 'Romance', 'Western'];
    const movies = Array.from({ length: 300 }, (_, i) => ({ movieId: 2 * i + 1, title: `M${i}`, year: 2000, genres: genreNames.filter(() => rng.chance(0.3)) }));
    const rows: [number, number, number][] = [];
    for (let u = 0; u < 60; u++) for (const m of movies.slice(0, 250)) if (rng.chance(0.2)) rows.push([u, m.movieId, rng.int(1, 10) / 2]);
    const data = buildInteractions({
      users: Int32Array.from(rows.map((r) => r[0])),
      movies: Int32Array.from(rows.map((r) => r[1])),
      ratings: Float32Array.from(rows.map((r) => r[2])),
      timestamps: new Float64Array(rows.length),
    });
    const C = 4;
    const model = PopularityModel.train(data, Catalogue.fromMovies(movies), { prior: C });
    // The reference: its own counts and sums, a full scan, a sort.
    const count = new Map<number, number>();
    const sum = new Map<number, number>();
    const rate = (id: number, r: number) => {
      count.set(id, (count.get(id) ?? 0) + 1);
      sum.set(id, (sum.get(id) ?? 0) + r);
    };
    for (const [, id, r] of rows) rate(id, r);
    const genresOf = new Map(movies.map((m) => [m.movieId, m.genres]));
    const brute = (n: number, genre?: string, skip?: (id: number) => boolean) => {
      let total = 0;
      let totalCount = 0;
      for (const [id, c] of count) {
        total += sum.get(id)!;
        totalCount += c;
      }
      const m = total / totalCount;
      return [...count.keys()]
        .filter((id) => genre === undefined || (genresOf.get(id) ?? []).includes(genre))
        .filter((id) => skip === undefined || !skip(id))
        .map((id) => ({ movieId: id, score: (C * m + sum.get(id)!) / (C + count.get(id)!) }))
        .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
        .slice(0, n);
    };
    const byCount = (n: number, genre?: string, skip?: (id: number) => boolean) =>
      [...count.keys()]
        .filter((id) => genre === undefined || (genresOf.get(id) ?? []).includes(genre))
        .filter((id) => skip === undefined || !skip(id))
        .map((id) => ({ movieId: id, score: count.get(id)! }))
        .sort((a, b) => b.score - a.score || a.movieId - b.movieId)
        .slice(0, n);
    const same = (got: { movieId: number; score: number }[], want: { movieId: number; score: number }[], what: string) => {
      assert.deepEqual(ids(got), ids(want), what);
      got.forEach((s, i) => assert.ok(Math.abs(s.score - want[i].score) < 1e-9, what));
    };
    let queries = 0;
    for (let step = 0; step < 3000; step++) {
      // Mostly known movies, some brand-new ones; high ratings drift the global mean upward.
      const id = rng.chance(0.03) ? 1001 + 2 * rng.int(0, 40) : movies[rng.int(0, 299)].movieId;
      const r = rng.chance(0.7) ? 5 : rng.int(1, 10) / 2;
      model.add(id, r);
      rate(id, r);
      if (step % 7 !== 0) continue;
      queries++;
      const n = [1, 5, 20, 100, 400][rng.int(0, 4)];
      const genre = rng.chance(0.5) ? genreNames[rng.int(0, genreNames.length - 1)] : undefined;
      const exclude = rng.chance(0.3) ? (x: number) => x % 3 === 0 : undefined;
      same(model.top(n, genre?.toUpperCase(), exclude), brute(n, genre, exclude), `step ${step}: top(${n}, ${genre})`);
      same(model.mostPopular(n, genre, exclude), byCount(n, genre, exclude), `step ${step}: mostPopular(${n}, ${genre})`);
      const seen = Array.from({ length: rng.int(0, 40) }, () => movies[rng.int(0, 299)].movieId);
      const user = history(7, seen, seen.map(() => 4));
      same(model.recommend(user, n), byCount(n, undefined, (x) => seen.includes(x)), `step ${step}: recommend(${n})`);
      const candidates = Int32Array.from([...seen.slice(0, 5), 3, 3, 5, 7, 9999, 1001]);
      same(model.recommend(user, n, { candidates }), byCount(n, undefined, (x) => seen.includes(x) || !candidates.includes(x)), `step ${step}: candidates`);
    }
    assert.ok(queries > 400);
    // A flood of low ratings for new movies drags the global mean far down: the order of the
    // others changes a lot (movies with few ratings sink less than the well-rated ones).
    for (let k = 0; k < 4000; k++) {
      const id = 5001 + 2 * (k % 120);
      model.add(id, 0.5);
      rate(id, 0.5);
      if (k % 500 === 499) {
        same(model.top(400), brute(400), `flood ${k}`);
        same(model.top(50, 'Drama'), brute(50, 'Drama'), `flood ${k}, Drama`);
        same(model.mostPopular(400), byCount(400), `flood ${k}, by count`);
      }
    }
  });

  it('weighs each rating 2^(−age / half-life) with a recency half-life, ages from the newest, streamed ones too', () => {
    const day = 86_400_000;
    const t0 = 1_600_000_000_000;
    // Movie 1: three old ratings; movie 2: two recent ones; movie 3: one, the newest.
    const rows: [number, number, number][] = [[1, 1, t0 - 100 * day], [2, 1, t0 - 90 * day], [3, 1, t0 - 80 * day], [1, 2, t0 - 5 * day], [2, 2, t0 - 1 * day], [3, 3, t0]];
    const columns = { users: Int32Array.from(rows.map((r) => r[0])), movies: Int32Array.from(rows.map((r) => r[1])), ratings: Float32Array.from(rows, () => 4), timestamps: Float64Array.from(rows.map((r) => r[2])) };
    const data = buildInteractions(columns);
    const plain = PopularityModel.train(data, catalogue);
    assert.deepEqual(ids(plain.mostPopular(3)), [1, 2, 3]);
    assert.equal(plain.halfLifeDays, null);
    const decayed = PopularityModel.train(data, catalogue, { halfLifeDays: 30 }, { columns });
    const w = (age: number) => 2 ** (-age / 30);
    const want = new Map([[1, w(100) + w(90) + w(80)], [2, w(5) + w(1)], [3, 1]]);
    for (const [id, v] of want) assert.ok(Math.abs(decayed.popularity(id) - v) < 1e-12, `movie ${id}`);
    assert.deepEqual(ids(decayed.mostPopular(3)), [2, 3, 1]);
    assert.deepEqual(ids(decayed.recommend(emptyHistory(9), 3)), [2, 3, 1]);
    // Streamed: dated ones by their time (a later one weighs more than 1), undated as the newest seen.
    decayed.add(1, 4, t0 + 30 * day);
    assert.ok(Math.abs(decayed.popularity(1) - (want.get(1)! + 2)) < 1e-12);
    decayed.add(3, 4);
    assert.ok(Math.abs(decayed.popularity(3) - (1 + 2)) < 1e-12);
    assert.deepEqual(ids(decayed.mostPopular(3)), [3, 1, 2]);
    assert.equal(decayed.count(3), 2, 'the count stays a count');
    // It survives a save and load.
    const { dir, cleanup } = tempDir();
    try {
      decayed.save(dir);
      const loaded = PopularityModel.load(dir);
      assert.equal(loaded.halfLifeDays, 30);
      assert.deepEqual(loaded.mostPopular(3), decayed.mostPopular(3));
      loaded.add(2, 4, t0 + 30 * day);
      assert.ok(Math.abs(loaded.popularity(2) - (w(5) + w(1) + 2)) < 1e-12);
    } finally {
      cleanup();
    }
    assert.throws(() => PopularityModel.train(data, catalogue, { halfLifeDays: 30 }), /needs the ratings' timestamps/);
    assert.throws(() => PopularityModel.train(data, catalogue, { halfLifeDays: -1 }, { columns }), /halfLifeDays must be a number >= 0/);
  });

  it('loads a version-1 artefact (before counts had a recency weight): popularity = the count', () => {
    const { dir, cleanup } = tempDir();
    try {
      const model = train();
      model.save(dir);
      const path = join(dir, 'popularity.bin');
      const file = readArrayFile<Record<string, unknown>>(path);
      const { weights: _weights, ...v1 } = file.arrays;
      writeArrayFile(path, { ...file.meta, version: 1, halfLifeDays: undefined, referenceTime: undefined, latestTime: undefined }, v1);
      const loaded = PopularityModel.load(dir);
      assert.deepEqual(loaded.mostPopular(10), model.mostPopular(10));
      assert.deepEqual(loaded.top(10), model.top(10));
      assert.equal(loaded.halfLifeDays, null);
    } finally {
      cleanup();
    }
  });

  it('takes a prior and names a bad one', () => {
    const data = buildInteractions({ users: Int32Array.from([1]), movies: Int32Array.from([1]), ratings: Float32Array.from([4]), timestamps: new Float64Array(1) });
    assert.equal(PopularityModel.train(data, catalogue, { prior: 0 }).score(1), 4);
    assert.throws(() => PopularityModel.train(data, catalogue, { prior: -1 }), /prior must be a number >= 0, got -1/);
  });

  it('save → load keeps counts (added ratings included) and genres; a damaged file is refused', () => {
    const { dir, cleanup } = tempDir();
    try {
      const model = train();
      model.add(3, 5);
      model.add(42, 4.5);
      const [path] = model.save(dir);
      const loaded = PopularityModel.load(dir);
      assert.deepEqual(loaded.top(10), model.top(10));
      assert.deepEqual(loaded.top(10, 'drama'), model.top(10, 'drama'));
      assert.deepEqual(loaded.mostPopular(10), model.mostPopular(10));
      assert.equal(loaded.prior, model.prior);
      assert.deepEqual(loaded.scale, model.scale);
      loaded.add(4, 5);
      assert.deepEqual(ids(loaded.top(10, 'Horror')), [4]);
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] ^= 0x01;
      writeFileSync(path, bytes);
      assert.throws(() => PopularityModel.load(dir), CorruptArtefactError);
    } finally {
      cleanup();
    }
  });
});
