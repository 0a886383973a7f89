import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildInteractions } from '../../../src/recommend/data/interactions.js';
import { CorruptArtefactError } from '../../../src/recommend/models/array-file.js';
import { PopularityModel } from '../../../src/recommend/models/popularity.js';
import { emptyHistory, type UserHistory } from '../../../src/recommend/models/recommender.js';
import { Catalogue } from '../../../src/pipelines/ratings/catalogue.js';
import { tempDir } from '../../helpers/tmp.js';

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
    assert.deepEqual(ids(model.recommend(emptyHistory(777), 2)), [1, 2]);
    assert.deepEqual(ids(model.recommend(emptyHistory(777), 10, { candidates: Int32Array.from([3, 2, 4, 404]) })), [2, 3]);
    assert.deepEqual(model.similar(), []);
    assert.equal(model.knowsUser(), false);
    assert.equal(model.knowsMovie(4), false);
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
