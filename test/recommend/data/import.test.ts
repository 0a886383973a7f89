import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatasetSourceError, datasetDir, importMovieLens } from '../../../src/recommend/data/import.js';
import { genomePath, loadGenome, loadMovieTags, tagsPath } from '../../../src/recommend/data/content-store.js';
import { parseGenomeScores, parseGenomeTags } from '../../../src/recommend/data/genome-parse.js';
import { loadRatings } from '../../../src/recommend/data/ratings-store.js';
import { parseTags, type TagsLayout } from '../../../src/recommend/data/tags-parse.js';
import { loadCatalogue } from '../../../src/movies/catalogue.js';
import { tempDir } from '../../helpers/tmp.js';

const rmFile = (path: string) => rmSync(path);

const fixture = (name: string) => resolve(process.cwd(), 'test/fixtures/movielens', name);

/** A copy of a fixture directory in dir, to add or break files in. */
function copyFixture(name: string, dir: string, as = name): string {
  const to = join(dir, 'src', as);
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(fixture(name))) copyFileSync(join(fixture(name), file), join(to, file));
  return to;
}

describe('importMovieLens', () => {
  it('imports every layout: ratings.bin, movies.csv and dataset.json', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const cases: [string, string, number, number, number][] = [
        ['ml-latest', 'ratings.csv', 4, 3, 3],
        ['kaggle', 'rating.csv', 3, 2, 3],
        ['ml-1m', 'ratings.dat', 3, 2, 2],
        ['ml-10m', 'ratings.dat', 3, 2, 3],
        ['ml-100k', 'u.data', 3, 3, 3],
      ];
      const content: Record<string, string[]> = { 'ml-latest': ['genome', 'tags'], kaggle: ['genome', 'tags'], 'ml-10m': ['tags'] };
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
        assert.deepEqual([...phases], ['ratings', 'movies', ...(content[name] ?? []), 'store']);

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
        assert.equal(existsSync(genomePath(datasetDir(dir, name))), content[name]?.includes('genome') === true, name);
        assert.equal(existsSync(tagsPath(datasetDir(dir, name))), content[name]?.includes('tags') === true, name);
      }
      // Latin-1 titles survive into the UTF-8 movies.csv.
      const ml100k = await loadCatalogue(join(datasetDir(dir, 'ml-100k'), 'movies.csv'));
      assert.match(ml100k.get(1305)?.title ?? '', /^\u00c1 k\u00f6ldum klaka/);
    } finally {
      cleanup();
    }
  });

  it('stores the genome and tags of each layout as parsed from the files (Kaggle names, CRLF, Latin-1 tags.dat)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const cases: [string, [string, string] | null, [TagsLayout, BufferEncoding]][] = [
        ['ml-latest', ['genome-tags.csv', 'genome-scores.csv'], ['tags.csv', 'utf8']],
        ['kaggle', ['genome_tags.csv', 'genome_scores.csv'], ['tag.csv', 'utf8']],
        ['ml-10m', null, ['tags.dat', 'latin1']],
      ];
      for (const [name, genomeFiles, [tagsLayout, encoding]] of cases) {
        const progress: number[] = [];
        const result = await importMovieLens(fixture(name), dir, { onProgress: (p) => progress.push(p.overallBytesRead / p.overallTotalBytes) });
        const stored = datasetDir(dir, name);
        if (genomeFiles !== null) {
          const tags = parseGenomeTags(readFileSync(join(fixture(name), genomeFiles[0]), 'utf8'));
          const expected = parseGenomeScores(readFileSync(join(fixture(name), genomeFiles[1]), 'utf8'), tags).genome;
          assert.deepEqual(loadGenome(stored), expected, name);
          assert.equal(result.genome?.movies, expected.movieIds.length);
          assert.equal(result.genome?.tags, expected.tags.length);
        } else {
          assert.equal(loadGenome(stored), undefined);
          assert.equal(result.genome, undefined);
        }
        const expectedTags = parseTags(readFileSync(join(fixture(name), tagsLayout)).toString(encoding), tagsLayout).tags;
        assert.deepEqual(loadMovieTags(stored), expectedTags, name);
        assert.equal(result.tags?.movieTags, expectedTags.movieIds.length);
        // Overall progress only moves forward and ends at 100 %.
        assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
        assert.equal(progress.at(-1), 1);
      }
      assert.deepEqual(loadMovieTags(datasetDir(dir, 'ml-10m'))?.tags, ['caf\u00e9 society', 'pixar']);
    } finally {
      cleanup();
    }
  });

  it('a malformed genome or tags line stops the import with file and line, unless skipBadLines', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const src = copyFixture('ml-latest', dir);
      writeFileSync(join(src, 'genome-scores.csv'), 'movieId,tagId,relevance\n1,1,0.5\n1,2,0.5\n1,3,lots\n');
      await assert.rejects(importMovieLens(src, dir), (err: Error) => err instanceof DatasetSourceError && /genome-scores\.csv, line 4: bad relevance "lots"/.test(err.message));
      assert.equal(existsSync(datasetDir(dir, 'ml-latest')), false, 'nothing stored');
      const lenient = await importMovieLens(src, dir, { skipBadLines: true });
      assert.equal(lenient.badLines, 1);
      assert.equal(lenient.badLinesByFile['genome-scores.csv'], 1);
      assert.match(lenient.firstBad ?? '', /line 4: bad relevance/);
      assert.equal(lenient.genome?.missingScores, 1);

      copyFileSync(join(fixture('ml-latest'), 'genome-scores.csv'), join(src, 'genome-scores.csv'));
      writeFileSync(join(src, 'tags.csv'), 'userId,movieId,tag,timestamp\n1,1,a,964982703\n1,1,b,yesterday\n');
      await assert.rejects(importMovieLens(src, dir), /tags\.csv, line 3: bad timestamp "yesterday"/);
    } finally {
      cleanup();
    }
  });

  it('names a missing genome tags file, and a re-import without content drops the old genome and tags', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const src = copyFixture('kaggle', dir, 'k');
      await importMovieLens(src, dir);
      assert.ok(loadGenome(datasetDir(dir, 'k')));
      rmFile(join(src, 'genome_tags.csv'));
      await assert.rejects(importMovieLens(src, dir), (err: Error) => err instanceof DatasetSourceError && /genome_scores\.csv needs genome_tags\.csv, which is not in .*k$/.test(err.message));
      rmFile(join(src, 'genome_scores.csv'));
      rmFile(join(src, 'tag.csv'));
      const result = await importMovieLens(src, dir);
      assert.equal(result.genome, undefined);
      assert.equal(loadGenome(datasetDir(dir, 'k')), undefined);
      assert.equal(loadMovieTags(datasetDir(dir, 'k')), undefined);
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
