import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ratingsRawSink } from '../../../src/pipelines/ratings/ratings-lake.js';
import { openEmbeddedLog } from '../../../src/log/open-log.js';
import { cataloguePath, formatMoviesCsv } from '../../../src/movies/catalogue-store.js';
import { ratingCodec, type Rating } from '../../../src/movies/rating-event.js';
import { latestDataset, listDatasets, loadDataset, openTrainingData } from '../../../src/recommend/data/dataset.js';
import { datasetDir, DatasetSourceError, importMovieLens } from '../../../src/recommend/data/import.js';
import { importLake } from '../../../src/recommend/data/lake-import.js';
import { synthesize } from '../../../src/recommend/data/synth.js';
import { tempDir } from '../../helpers/tmp.js';

const fixture = (name: string) => resolve(process.cwd(), 'test/fixtures/movielens', name);

function copyFixture(name: string, to: string): string {
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(fixture(name))) copyFileSync(join(fixture(name), file), join(to, file));
  return to;
}

const manifestOf = (dataDir: string, name: string) => JSON.parse(readFileSync(join(datasetDir(dataDir, name), 'dataset.json'), 'utf8')) as { importedAt: string };

describe('loadDataset', () => {
  it('loads ratings, catalogue, genome and tags of an imported dataset; genome and tags are undefined when absent', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await importMovieLens(fixture('ml-latest'), dir);
      await importMovieLens(fixture('ml-1m'), dir);
      const latest = await loadDataset(datasetDir(dir, 'ml-latest'));
      assert.equal(latest.name, 'ml-latest');
      assert.deepEqual([...latest.ratings.columns.users], [1, 1, 2, 3]);
      assert.equal(latest.catalogue.get(1)?.title, 'Toy Story (1995)');
      assert.deepEqual(latest.genome?.tags, ['007', 'action, packed', 'atmospheric']);
      assert.deepEqual(latest.tags?.tags, ['funny, clever', 'pixar', 'the "best"', 'two\nlines']);
      assert.equal(latest.manifest.layout, 'ratings.csv');
      const ml1m = await loadDataset(datasetDir(dir, 'ml-1m'));
      assert.equal(ml1m.genome, undefined);
      assert.equal(ml1m.tags, undefined);
      await assert.rejects(loadDataset(join(dir, 'nope')), (err: Error) => err instanceof DatasetSourceError && /not an imported dataset: .*nope has no readable dataset\.json/.test(err.message));
    } finally {
      cleanup();
    }
  });
});

describe('openTrainingData', () => {
  it('with nothing imported, says how to get a dataset', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await assert.rejects(openTrainingData({ dataDir: dir }), (err: Error) => {
        assert.ok(err instanceof DatasetSourceError);
        assert.equal(
          err.message,
          `no dataset in ${join(dir, 'datasets')}: run \`streamrec dataset import <dir>\` or \`streamrec dataset synth\`, or pass --data <dir>`,
        );
        return true;
      });
    } finally {
      cleanup();
    }
  });

  it('takes the named dataset, else the latest imported; an unknown name lists the known ones', async () => {
    const { dir, cleanup } = tempDir();
    try {
      await importMovieLens(fixture('ml-100k'), dir);
      await new Promise((r) => setTimeout(r, 5));
      await importMovieLens(fixture('kaggle'), dir);
      assert.equal(latestDataset(dir)?.name, 'kaggle');
      assert.equal((await openTrainingData({ dataDir: dir })).name, 'kaggle');
      assert.equal((await openTrainingData({ dataDir: dir, dataset: 'ml-100k' })).name, 'ml-100k');
      await assert.rejects(openTrainingData({ dataDir: dir, dataset: 'ml-25m' }), /no dataset "ml-25m" in .*datasets: imported ones are kaggle, ml-100k/);
      assert.deepEqual(
        listDatasets(dir).map((d) => [d.name, d.ratings, d.users, d.movies, d.genome, d.tags]),
        [
          ['kaggle', 3, 2, 3, true, true],
          ['ml-100k', 3, 3, 3, false, false],
        ],
      );
    } finally {
      cleanup();
    }
  });

  it('--data imports a MovieLens directory on the fly, and again only when its files change', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const src = copyFixture('ml-latest', join(dir, 'src', 'my-ml'));
      const dataDir = join(dir, 'data');
      const first = await openTrainingData({ dataDir, data: src });
      assert.equal(first.name, 'my-ml');
      assert.equal(first.dir, datasetDir(dataDir, 'my-ml'));
      assert.equal(first.ratings.columns.users.length, 4);
      const importedAt = manifestOf(dataDir, 'my-ml').importedAt;

      await new Promise((r) => setTimeout(r, 5));
      await openTrainingData({ dataDir, data: src });
      assert.equal(manifestOf(dataDir, 'my-ml').importedAt, importedAt, 'unchanged files are not imported again');

      writeFileSync(join(src, 'ratings.csv'), 'userId,movieId,rating,timestamp\n9,1,3.0,964982703\n');
      utimesSync(join(src, 'ratings.csv'), new Date(), new Date(Date.now() + 10_000));
      const changed = await openTrainingData({ dataDir, data: src });
      assert.deepEqual([...changed.ratings.columns.users], [9]);
      assert.notEqual(manifestOf(dataDir, 'my-ml').importedAt, importedAt);

      // --dataset names the import; --data and --from-lake together are refused.
      assert.equal((await openTrainingData({ dataDir, data: src, dataset: 'renamed' })).dir, datasetDir(dataDir, 'renamed'));
      await assert.rejects(openTrainingData({ dataDir, data: src, fromLake: true }), /either --data <dir> or --from-lake/);
      await assert.rejects(openTrainingData({ dataDir, data: join(dir, 'missing') }), (err: Error) => err instanceof DatasetSourceError && /not a directory/.test(err.message));
    } finally {
      cleanup();
    }
  });

  it('--from-lake imports the ratings lake (latest rating per user and movie) with the data dir catalogue', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      await assert.rejects(openTrainingData({ dataDir: dir, fromLake: true }), /no movie catalogue for the lake: .*movies\.csv not found/);
      const { movies } = synthesize({ users: 10, movies: 20, ratings: 50, rank: 2, noise: 0.5, seed: 1 });
      mkdirSync(join(dir, 'catalogue'), { recursive: true });
      writeFileSync(cataloguePath(dir), formatMoviesCsv(movies));
      await assert.rejects(openTrainingData({ dataDir: dir, fromLake: true }), (err: Error) => err instanceof DatasetSourceError && /the ratings lake is empty/.test(err.message));

      // Ratings spread over three hours (three Hive partitions), some (user, movie) pairs rated again later.
      const base = Date.parse('2025-11-10T05:00:00.000Z');
      const sent: Rating[] = [];
      for (let i = 0; i < 400; i++) {
        sent.push({ userId: 1 + (i % 13), movieId: 1 + ((i * 7) % 20), rating: 0.5 + (i % 10) * 0.5, timestamp: base + i * 27_000 });
      }
      await log.ensureTopic('ratings', { partitions: 4 });
      const producer = log.producer();
      await producer.send('ratings', sent.map((r) => ({ key: String(r.userId), value: ratingCodec.encode(r) })));
      await producer.close();
      assert.equal(await ratingsRawSink({ log, dataDir: dir }).runOnce(), 400);

      const dataset = await openTrainingData({ dataDir: dir, fromLake: true });
      assert.equal(dataset.name, 'lake');
      // Brute force: the latest rating of each pair, ordered by user then movie.
      const latest = new Map<string, Rating>();
      for (const r of sent) {
        const key = `${r.userId}:${r.movieId}`;
        const seen = latest.get(key);
        if (seen === undefined || r.timestamp > seen.timestamp) latest.set(key, r);
      }
      const expected = [...latest.values()].sort((a, b) => a.userId - b.userId || a.movieId - b.movieId);
      assert.ok(expected.length < sent.length, 'the test has re-rated pairs');
      const c = dataset.ratings.columns;
      assert.deepEqual(
        Array.from(c.users, (u, i) => ({ userId: u, movieId: c.movies[i], rating: c.ratings[i], timestamp: c.timestamps[i] })),
        expected,
      );
      assert.equal(dataset.catalogue.size, 20);
      assert.equal(dataset.manifest.rowsInLake, 400);

      // importLake under another name; the lake dataset counts as imported (latest).
      const named = await importLake(dir, { name: 'lake-copy' });
      assert.equal(named.ratings, expected.length);
      assert.equal((await openTrainingData({ dataDir: dir })).name, 'lake-copy');
    } finally {
      await log.close();
      cleanup();
    }
  });
});
