import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { detectLayout, parseMoviesCsv, parseMoviesDat, parseUItem } from '../../src/movies/catalogue-parse.js';
import { Catalogue, loadCatalogue } from '../../src/movies/catalogue.js';
import { syntheticCatalogue } from '../../src/movies/synthetic-catalogue.js';
import { MOVIELENS_GENRES, NO_GENRES } from '../../src/movies/movie.js';

// Tests run from dist/test, but the fixtures stay in the source tree.
const fixture = (name: string): string => path.resolve(process.cwd(), 'test/fixtures/catalogue', name);

function assertNoCarriageReturns(catalogue: Catalogue): void {
  for (const m of catalogue.all()) {
    assert.ok(!m.title.includes('\r'), `title of ${m.movieId} has \\r`);
    for (const g of m.genres) assert.ok(!g.includes('\r'), `genre of ${m.movieId} has \\r`);
  }
}

test('movies.csv (ml-latest): quoting, no genres, year ranges, trailing spaces', async () => {
  const c = await loadCatalogue(fixture('movies.csv'));
  assert.deepEqual(c.ids(), [1, 11, 3300, 140956, 171749, 176601]);
  assert.equal(c.size, 6);
  assert.deepEqual(c.get(1), {
    movieId: 1, title: 'Toy Story (1995)', year: 1995,
    genres: ['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy'],
  });
  assert.deepEqual(c.get(11), {
    movieId: 11, title: 'American President, The (1995)', year: 1995, genres: ['Comedy', 'Drama', 'Romance'],
  });
  assert.deepEqual(c.get(3300), { movieId: 3300, title: '"Great Performances" Cats (1998)', year: 1998, genres: ['Musical'] });
  assert.deepEqual(c.get(171749), { movieId: 171749, title: 'Death Note: Desu nōto (2006–2007)', year: 2006, genres: [NO_GENRES] });
  assert.deepEqual(c.get(140956), { movieId: 140956, title: 'Ready Player One (2018)', year: 2018, genres: ['Action', 'IMAX', 'Sci-Fi'] });
  assert.deepEqual(c.get(176601), { movieId: 176601, title: 'Black Mirror', year: null, genres: ['Film-Noir'] });
  assert.equal(c.get(2), undefined);
  assert.deepEqual(c.all().map((m) => m.movieId), c.ids());
});

test('movie.csv (Kaggle): CRLF and BOM', async () => {
  const c = await loadCatalogue(fixture('kaggle/movie.csv'));
  assert.deepEqual(c.ids(), [1, 2, 5, 131262]);
  assert.deepEqual(c.get(5), { movieId: 5, title: 'Father of the Bride Part II (1995)', year: 1995, genres: ['Comedy'] });
  assert.deepEqual(c.get(131262)?.genres, ['Adventure', 'Fantasy', 'Horror']);
  assertNoCarriageReturns(c);
});

test('movies.dat (ml-1m): Latin-1, CRLF, Children\'s, duplicates keep the first', async () => {
  const c = await loadCatalogue(fixture('ml-1m/movies.dat'));
  assert.deepEqual(c.ids(), [1, 2, 29, 3952]);
  assert.deepEqual(c.get(29), {
    movieId: 29, title: 'City of Lost Children, The (Cité des enfants perdus, La) (1995)', year: 1995,
    genres: ['Adventure', 'Sci-Fi'],
  });
  assert.deepEqual(c.get(1), { movieId: 1, title: 'Toy Story (1995)', year: 1995, genres: ['Animation', 'Children', 'Comedy'] });
  assert.deepEqual(c.get(3952)?.genres, ['Drama', 'Thriller']);
  assertNoCarriageReturns(c);
});

test('u.item (ml-100k): flags, unknown, Latin-1, year from release date', async () => {
  const c = await loadCatalogue(fixture('ml-100k/u.item'));
  assert.deepEqual(c.ids(), [1, 267, 1305, 1500, 1682]);
  assert.deepEqual(c.get(1), { movieId: 1, title: 'Toy Story (1995)', year: 1995, genres: ['Animation', 'Children', 'Comedy'] });
  assert.deepEqual(c.get(267), { movieId: 267, title: 'unknown', year: null, genres: [NO_GENRES] });
  assert.deepEqual(c.get(1305), { movieId: 1305, title: 'Á köldum klaka (Cold Fever) (1994)', year: 1994, genres: ['Comedy', 'Drama'] });
  assert.deepEqual(c.get(1500), { movieId: 1500, title: 'Santa with Muscles', year: 1996, genres: ['Comedy'] });
  assert.deepEqual(c.get(1682)?.genres, ['Drama']);
});

test('a malformed line names the layout, the line number and the reason', async () => {
  await assert.rejects(loadCatalogue(fixture('bad/movies.csv')), {
    message: /^movies\.csv line 5: expected 3 fields \(movieId,title,genres\), got 2 \(in .*bad[\\/]movies\.csv\)$/,
  });
});

test('parsers reject malformed input', () => {
  assert.throws(() => parseMoviesCsv('movieId,title,genres\nx1,Foo (1999),Drama\n'), /^Error: movies\.csv line 2: movie id "x1"/);
  assert.throws(() => parseMoviesCsv('movieId,title,genres\r\n1.5,Foo (1999),Drama'), /movies\.csv line 2: movie id "1\.5"/);
  assert.throws(() => parseMoviesCsv('movieId,title,genres\n1,"Foo (1999),Drama'), /line 2: unterminated quoted field/);
  assert.throws(() => parseMoviesCsv('id,name\n1,Foo'), /movies\.csv line 1: expected header/);
  assert.equal(parseMoviesCsv('movieId,title,genres\n1,Foo,', 'movie.csv')[0]?.genres[0], NO_GENRES);
});

test('parsers: more malformed lines and the in-memory forms', () => {
  assert.throws(() => parseMoviesCsv('movieId,title,genres\n1,Foo,Cooking', 'movie.csv'), /^Error: movie\.csv line 2: unknown genre "Cooking"/);
  assert.throws(() => parseMoviesDat('1::Foo (1999)::Drama\n2::Bar (2000)'), /^Error: movies\.dat line 2: expected 3 fields/);
  assert.throws(() => parseMoviesDat('abc::Foo (1999)::Drama'), /movies\.dat line 1: movie id "abc"/);
  assert.throws(() => parseUItem('1|Foo (1999)|01-Jan-1999||url|0|1'), /^Error: u\.item line 1: expected 24 fields/);
  const flags = Array(19).fill('2').join('|');
  assert.throws(() => parseUItem(`1|Foo (1999)|01-Jan-1999||url|${flags}`), /u\.item line 1: genre flag 1 is "2"/);
  assert.deepEqual(parseMoviesDat('\uFEFF7::Sabrina (1995)::Comedy|Romance\n\n'), [
    { movieId: 7, title: 'Sabrina (1995)', year: 1995, genres: ['Comedy', 'Romance'] },
  ]);
});

test('a missing file names its path', async () => {
  const missing = fixture('nowhere/movies.csv');
  await assert.rejects(loadCatalogue(missing), { message: `movie catalogue not found: ${missing}` });
});

test('detectLayout uses the base name and rejects others', async () => {
  assert.equal(detectLayout('/data/ml-25m/movies.csv'), 'movies.csv');
  assert.equal(detectLayout('movie.csv'), 'movie.csv');
  assert.equal(detectLayout('C:\\ml-1m\\movies.dat'), 'movies.dat');
  assert.equal(detectLayout('ml-100k/u.item'), 'u.item');
  assert.throws(() => detectLayout('/data/ratings.csv'), /unsupported movie catalogue file "ratings\.csv": expected one of movies\.csv, movie\.csv, movies\.dat, u\.item/);
  await assert.rejects(loadCatalogue('/data/links.csv'), /unsupported movie catalogue file "links\.csv"/);
});

test('syntheticCatalogue is deterministic and plausible', () => {
  const a = syntheticCatalogue(500, 42);
  assert.deepEqual(a.all(), syntheticCatalogue(500, 42).all());
  assert.notDeepEqual(a.all(), syntheticCatalogue(500, 43).all());
  assert.equal(a.size, 500);
  assert.deepEqual(a.ids(), Array.from({ length: 500 }, (_, i) => i + 1));

  const known = new Set<string>(MOVIELENS_GENRES);
  const counts = new Map<string, number>();
  for (const m of a.all()) {
    assert.ok(m.genres.length >= 1 && m.genres.length <= 3, `movie ${m.movieId} has ${m.genres.length} genres`);
    assert.equal(new Set(m.genres).size, m.genres.length);
    for (const g of m.genres) {
      assert.ok(known.has(g), `unknown genre ${g}`);
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    assert.ok(m.year !== null && m.year >= 1920 && m.year <= 2024, `year ${m.year}`);
    assert.match(m.title, new RegExp(`^\\S.* \\(${m.year}\\)$`));
  }
  const top2 = [...counts].sort((x, y) => y[1] - x[1]).slice(0, 2).map(([g]) => g);
  assert.ok(top2.includes('Drama') || top2.includes('Comedy'), `top genres ${top2.join(', ')}`);
  assert.equal(new Set(a.all().map((m) => m.title)).size, 500, 'titles are unique');
});
