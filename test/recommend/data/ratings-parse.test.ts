import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { detectRatingsLayout, parseRatings, RatingsParser, type RatingColumns, type RatingsLayout } from '../../../src/recommend/data/ratings-parse.js';

const fixture = (...parts: string[]) => resolve(process.cwd(), 'test/fixtures/movielens', ...parts);
const read = (dir: string, file: string) => readFileSync(fixture(dir, file), 'utf8');

function plain(c: RatingColumns) {
  return { users: [...c.users], movies: [...c.movies], ratings: [...c.ratings], timestamps: [...c.timestamps] };
}

const EXPECTED: [string, RatingsLayout, ReturnType<typeof plain>][] = [
  ['ml-latest', 'ratings.csv', {
    users: [1, 1, 2, 3], movies: [1, 11, 1, 3300], ratings: [4, 4.5, 0.5, 5],
    timestamps: [964982703000, 964981247000, 1445714835000, 1306463578000],
  }],
  ['kaggle', 'rating.csv', {
    users: [1, 1, 2], movies: [2, 29, 1], ratings: [3.5, 3.5, 4],
    timestamps: [Date.UTC(2005, 3, 2, 23, 53, 47), Date.UTC(2005, 3, 2, 23, 31, 16), Date.UTC(2000, 1, 29, 0, 0, 0)],
  }],
  ['ml-1m', 'ratings.dat', {
    users: [1, 1, 2], movies: [1, 29, 1], ratings: [5, 3, 4], timestamps: [978300760000, 978302109000, 978298709000],
  }],
  ['ml-100k', 'u.data', {
    users: [196, 186, 22], movies: [1, 267, 1305], ratings: [3, 3, 1], timestamps: [881250949000, 891717742000, 878887116000],
  }],
];

describe('ratings parsers', () => {
  for (const [dir, layout, expected] of EXPECTED) {
    it(`parses ${dir}/${layout} to the exact columns`, () => {
      assert.equal(detectRatingsLayout(fixture(dir, layout)), layout);
      const result = parseRatings(read(dir, layout), layout);
      assert.deepEqual(plain(result.columns), expected);
      assert.equal(result.badLines, 0);
      assert.equal(result.firstBad, undefined);
      assert.ok(result.columns.users instanceof Int32Array);
      assert.ok(result.columns.ratings instanceof Float32Array);
      assert.ok(result.columns.timestamps instanceof Float64Array);
    });

    it(`parses ${dir}/${layout} the same when fed one character at a time`, () => {
      const parser = new RatingsParser(layout, { capacity: 1 });
      for (const ch of read(dir, layout)) parser.push(ch);
      assert.deepEqual(plain(parser.end().columns), expected);
    });
  }

  it('a malformed line throws, naming the file, the line number and the reason', () => {
    assert.throws(
      () => parseRatings(read('bad', 'ratings.csv'), 'ratings.csv', { fileName: 'bad/ratings.csv' }),
      (err: Error) => /^bad\/ratings\.csv, line 3: bad movie id "x"/.test(err.message),
    );
    assert.throws(() => parseRatings('1::2::3\n', 'ratings.dat'), /ratings\.dat, line 1: expected 4 fields/);
    assert.throws(() => parseRatings('1\t2\t3\t4\t5\n', 'u.data'), /u\.data, line 1: expected 4 fields/);
    assert.throws(() => parseRatings('userId,movieId,rating,timestamp\n1,2,3,2005-02-30 00:00:00\n', 'rating.csv'), /line 2: bad timestamp "2005-02-30 00:00:00"/);
    assert.throws(() => parseRatings('userId,movieId,rating,timestamp\n1,2,3,964982703\n', 'rating.csv'), /line 2: bad timestamp/);
    assert.throws(() => parseRatings('1,2,3,4\n', 'ratings.csv'), /ratings\.csv, line 1: missing header/);
    assert.throws(() => parseRatings('', 'ratings.csv'), /missing header/);
  });

  it('skipBadLines counts malformed lines and reports the first', () => {
    const result = parseRatings(read('bad', 'ratings.csv'), 'ratings.csv', { fileName: 'bad/ratings.csv', skipBadLines: true });
    assert.equal(result.badLines, 3);
    assert.match(result.firstBad ?? '', /^bad\/ratings\.csv, line 3: bad movie id/);
    assert.deepEqual([...result.columns.users], [1, 3]);
    assert.deepEqual([...result.columns.movies], [1, 3300]);
  });

  it('grows its columns past the initial capacity', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${i}\t${i % 97}\t${(i % 5) + 1}\t${1_000_000 + i}`);
    const result = parseRatings(lines.join('\n'), 'u.data', { capacity: 1 });
    assert.equal(result.columns.users.length, 5000);
    assert.equal(result.columns.users[4999], 4999);
    assert.equal(result.columns.timestamps[4999], (1_000_000 + 4999) * 1000);
  });
});
