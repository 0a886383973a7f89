import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlsModel } from '../../../src/recommend/models/als/als.js';
import { emptyHistory } from '../../../src/recommend/models/recommender.js';
import { ModelRegistry } from '../../../src/recommend/registry/registry.js';
import { importSparkAls, SparkImportError } from '../../../src/recommend/registry/spark-import.js';
import { tempDir } from '../../helpers/tmp.js';
import { smallFixture, writeImportedDataset, writeSparkAlsDir } from './spark-fixture.js';

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe('Spark ALS import', () => {
  it('imports userFactors and itemFactors into a new latest als version whose predictions are the dot products', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const fixture = smallFixture();
      const spark = join(dir, 'als_model_v1');
      await writeSparkAlsDir(spark, fixture);
      const registry = new ModelRegistry(join(dir, 'data'));
      writeImportedDataset(registry.dataDir, 'ml-25m', '2024-01-01T00:00:00.000Z');
      writeImportedDataset(registry.dataDir, 'ml-latest-small', '2025-06-01T00:00:00.000Z');
      writeImportedDataset(registry.dataDir, 'ml-1m', '2023-01-01T00:00:00.000Z');
      const meta = await importSparkAls(spark, registry);
      assert.equal(meta.model, 'als');
      assert.equal(meta.source, 'spark');
      assert.equal(meta.params.rank, 2);
      assert.equal(meta.params.source, 'spark');
      assert.equal(meta.params.coldStartStrategy, 'drop');
      assert.equal(meta.params.sparkVersion, '3.4.1');
      assert.deepEqual(meta.dataset, { name: 'ml-latest-small', ratings: 0, users: 3, movies: 4 }, 'served with the latest imported dataset');
      assert.match(meta.dataFingerprint, /^spark:[0-9a-f]{32}$/);
      assert.equal(registry.latestVersion('als'), meta.version);
      registry.verify('als', meta.version);

      const model = AlsModel.load(registry.dir('als', meta.version));
      for (const [userId, p] of fixture.users) {
        for (const [movieId, q] of fixture.items) {
          const predicted = model.predict(emptyHistory(userId), movieId);
          assert.ok(Math.abs(predicted - dot(p, q)) < 1e-6, `user ${userId} movie ${movieId}: ${predicted} ≠ ${dot(p, q)}`);
        }
        // Top-N follows the dot products too (ties by movie id).
        const expected = [...fixture.items].map(([m, q]) => ({ m, s: dot(p, q) })).sort((a, b) => b.s - a.s || a.m - b.m).map((x) => x.m);
        assert.deepEqual(model.recommend(emptyHistory(userId), 4).map((r) => r.movieId), expected);
      }
      // The same export again: the same fingerprint, a new version.
      const again = await importSparkAls(spark, registry, { datasetName: 'ml-25m', setLatest: false });
      assert.equal(again.dataFingerprint, meta.dataFingerprint);
      assert.equal(again.dataset.name, 'ml-25m');
      assert.equal(registry.latestVersion('als'), meta.version);
    } finally {
      cleanup();
    }
  });

  it("accepts the old stack's layout (<version>/spark_model/) and a rank in paramMap", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const version = join(dir, 'als_model_v1_20251208_152523');
      await writeSparkAlsDir(join(version, 'spark_model'), smallFixture(), { rankInParamMap: true });
      writeFileSync(join(version, 'metadata.json'), '{"metrics": {"rmse": 0.82}}');
      writeImportedDataset(join(dir, 'data'), 'ml-latest', '2025-06-01T00:00:00.000Z');
      const meta = await importSparkAls(version, new ModelRegistry(join(dir, 'data')));
      assert.equal(meta.params.rank, 2);
      assert.equal(meta.dataset.users, 3);
    } finally {
      cleanup();
    }
  });

  it('refuses what is not a Spark ALS model, naming what is wrong', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const registry = new ModelRegistry(join(dir, 'data'));
      const expectError = async (sparkDir: string, message: RegExp) => {
        await assert.rejects(importSparkAls(sparkDir, registry), (err: Error) => err instanceof SparkImportError && message.test(err.message));
      };
      await expectError(join(dir, 'nope'), /not a directory: .*nope/);
      mkdirSync(join(dir, 'empty'));
      await expectError(join(dir, 'empty'), /not a Spark ALS model directory: .*empty has no metadata, userFactors, itemFactors/);

      const noItems = join(dir, 'no-items');
      await writeSparkAlsDir(noItems, smallFixture());
      rmSync(join(noItems, 'itemFactors'), { recursive: true });
      await expectError(noItems, /has no itemFactors \(expected metadata\/, userFactors\/ and itemFactors\//);

      const mismatch = join(dir, 'mismatch');
      await writeSparkAlsDir(mismatch, smallFixture(), { metadataRank: 3 });
      await expectError(mismatch, /userFactors: factor lengths 2\.\.2 do not match the metadata's rank 3/);

      const empty = join(dir, 'empty-items');
      await writeSparkAlsDir(empty, smallFixture(), { emptyItems: true });
      await expectError(empty, /itemFactors: empty factors/);

      const other = join(dir, 'kmeans');
      await writeSparkAlsDir(other, smallFixture(), { className: 'org.apache.spark.ml.clustering.KMeansModel' });
      await expectError(other, /a org\.apache\.spark\.ml\.clustering\.KMeansModel, not org\.apache\.spark\.ml\.recommendation\.ALSModel/);

      assert.deepEqual(registry.list(), [], 'nothing half-imported is registered');
    } finally {
      cleanup();
    }
  });

  it('needs the dataset the model was trained on: an imported one, named or the latest', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spark = join(dir, 'spark_model');
      await writeSparkAlsDir(spark, smallFixture());
      const registry = new ModelRegistry(join(dir, 'data'));
      await assert.rejects(
        importSparkAls(spark, registry),
        (err: Error) => err instanceof SparkImportError && /no dataset in .*datasets: import the MovieLens data the Spark model was trained on first \(streamrec dataset import <dir>\)/.test(err.message),
      );
      writeImportedDataset(registry.dataDir, 'ml-25m', '2024-01-01T00:00:00.000Z');
      await assert.rejects(
        importSparkAls(spark, registry, { datasetName: 'ml-20m' }),
        (err: Error) => err instanceof SparkImportError && /no dataset "ml-20m" in .*\(imported: ml-25m\); import the MovieLens data/.test(err.message),
      );
      await assert.rejects(importSparkAls(spark, registry, { datasetName: '../etc' }), /bad dataset name "\.\.\/etc"/);
      assert.deepEqual(registry.list(), [], 'nothing registered');
      assert.equal((await importSparkAls(spark, registry)).dataset.name, 'ml-25m', 'not the directory\'s name "spark_model"');
    } finally {
      cleanup();
    }
  });
});
