import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetSourceError, datasetDir, importMovieLens } from '../../../src/recommend/data/import.js';
import { loadRatings } from '../../../src/recommend/data/ratings-store.js';
import { loadCatalogue } from '../../../src/pipelines/ratings/catalogue.js';
import { tempDir } from '../../helpers/tmp.js';

const fixture = (name: string) => resolve(process.cwd(), 'test/fixtures/movielens', name);

describe('importMovieLens', () => {
  it('imports every layout: ratings.bin, movies.csv and dataset.json', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const cases: [string, string, number, number, number][] = [
        ['ml-latest', 'ratings.csv', 4, 3, 3],
        ['kaggle', 'rating.csv', 3, 2, 3],
        ['ml-1m', 'ratings.dat', 3, 2, 2],
        ['ml-100k', 'u.data', 3, 3, 3],
      ];
      for (const [name, layout, ratings, users, movies] of cases) {
        const phases = new Set<string>();
        const result = await importMovieLens(fixture(name), dir, { onProgress: (p) => phases.add(p.phase) });
        assert.equal(result.name, name);
        assert.equal(result.layout, layout);
        assert.equal(result.ratings, ratings, name);
        assert.equal(result.users, users, name);
        assert.equal(result.movies, movies, name);
        assert.equal(result.badLines, 0);
        assert.ok(result.durationMs >= 0);
        assert.deepEqual([...phases], ['ratings', 'movies', 'store']);

        const stored = loadRatings(datasetDir(dir, name));
        assert.equal(stored.columns.users.length, ratings);
        assert.equal(stored.fingerprint, result.fingerprint);
        const catalogue = await loadCatalogue(join(datasetDir(dir, name), 'movies.csv'));
        const original = await loadCatalogue(result.moviesFile);
        assert.equal(catalogue.size, result.catalogueMovies);
        // u.item's year comes from its release-date column, which movies.csv has no place for.
        const strip = (c: typeof catalogue) => c.all().map(({ movieId, title, genres }) => ({ movieId, title, genres }));
        assert.deepEqual(strip(catalogue), strip(original));
        const manifest = JSON.parse(readFileSync(join(datasetDir(dir, name), 'dataset.json'), 'utf8')) as { ratings: number };
        assert.equal(manifest.ratings, ratings);
      }
      // Latin-1 titles survive into the UTF-8 movies.csv.
      const ml100k = await loadCatalogue(join(datasetDir(dir, 'ml-100k'), 'movies.csv'));
      assert.match(ml100k.get(1305)?.title ?? '', /^\u00c1 k\u00f6ldum klaka/);
    } finally {
      cleanup();
    }
  });

  it('uses --name, and skipBadLines counts the bad lines', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await assert.rejects(importMovieLens(fixture('bad'), dir), (err: Error) => err instanceof DatasetSourceError && /ratings\.csv, line 3: bad movie id/.test(err.message));
      const result = await importMovieLens(fixture('bad'), dir, { name: 'lenient', skipBadLines: true });
      assert.equal(result.dir, datasetDir(dir, 'lenient'));
      assert.equal(result.ratings, 2);
      assert.equal(result.badLines, 3);
      assert.match(result.firstBad ?? '', /line 3/);
    } finally {
      cleanup();
    }
  });

  it('names the missing ratings file, a missing directory and a bad name', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await assert.rejects(importMovieLens(fixture('no-ratings'), dir), /no ratings file in .*no-ratings: expected one of ratings\.csv, rating\.csv, ratings\.dat, u\.data/);
      await assert.rejects(importMovieLens(fixture('nope'), dir), /not a directory: .*nope/);
      await assert.rejects(importMovieLens(fixture('ml-1m'), dir, { name: '../x' }), /bad dataset name "\.\.\/x"/);
    } finally {
      cleanup();
    }
  });
});
