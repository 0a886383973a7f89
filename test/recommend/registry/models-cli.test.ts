import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelRegistry, type NewModelMetadata } from '../../../src/recommend/registry/registry.js';
import { tempDir } from '../../helpers/tmp.js';
import { smallFixture, writeImportedDataset, writeSparkAlsDir } from './spark-fixture.js';

const BIN = resolve(import.meta.dirname, '../../../src/cli/main.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLineError(r: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

const META: NewModelMetadata = {
  params: { neighbours: 50 },
  dataFingerprint: 'fp',
  dataset: { name: 'ml-small', ratings: 100, users: 5, movies: 20 },
  trainingSeconds: 0.5,
};

function commit(registry: ModelRegistry, metrics?: Record<string, unknown>) {
  const staged = registry.stage('itemcf');
  writeFileSync(join(staged.dir, 'itemcf.bin'), Buffer.alloc(2048, 7));
  return registry.commit(staged, { ...META, metrics });
}

describe('streamrec models', () => {
  it('list, show, rm and their mistakes', () => {
    const { dir, cleanup } = tempDir();
    try {
      const help = run(['models', '--help']);
      assert.equal(help.code, 0);
      for (const verb of ['list', 'show', 'rm', 'import-spark']) assert.match(help.stdout, new RegExp(`\\n  ${verb}\\b`));
      const sparkHelp = run(['models', 'import-spark', '--help']).stdout;
      assert.match(sparkHelp, /Examples:/);
      assert.match(sparkHelp, /model=als/, 'how to be served the imported model when a hybrid is the default');

      assert.match(run(['models', 'list', '--data-dir', dir]).stdout, /^no models in /);
      const registry = new ModelRegistry(dir);
      const v1 = commit(registry, { 'random-0.2-seed42': { rating: { rmse: 0.91234 }, ranking: { ndcg: 0.1 } } }).version;
      const v2 = commit(registry).version;

      const list = run(['models', 'list', '--data-dir', dir]);
      assert.equal(list.code, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.match(lines[0], /^model\s+version\s+latest\s+created\s+dataset\s+RMSE\s+NDCG\s+size\s+source$/);
      assert.match(lines[2], new RegExp(`^itemcf\\s+${v2}\\s+\\*\\s+\\S+Z\\s+ml-small\\s+-\\s+-\\s+2\\.0 KiB\\s+streamrec$`));
      assert.match(lines[3], new RegExp(`^itemcf\\s+${v1}\\s+\\S+Z\\s+ml-small\\s+0\\.9123\\s+0\\.1000\\s+2\\.0 KiB`));
      const json = JSON.parse(run(['models', 'list', 'itemcf', '--json', '--data-dir', dir]).stdout) as { version: string; latest: boolean }[];
      assert.deepEqual(json.map((e) => [e.version, e.latest]), [
        [v2, true],
        [v1, false],
      ]);

      const show = run(['models', 'show', 'itemcf', '--data-dir', dir]);
      assert.equal(show.code, 0, show.stderr);
      assert.deepEqual(JSON.parse(show.stdout), JSON.parse(readFileSync(join(registry.dir('itemcf', v2), 'metadata.json'), 'utf8')));
      const verified = run(['models', 'show', 'itemcf', v1, '--json', '--verify', '--data-dir', dir]);
      assert.equal(verified.code, 0);
      assert.equal(JSON.parse(verified.stdout).version, v1);
      // v1 has the old layout (evaluate's results inside .metrics): it loads and shows them under .evaluations.
      const old = JSON.parse(verified.stdout) as { metrics: object; evaluations?: Record<string, { rating: { rmse: number } }> };
      assert.deepEqual(old.metrics, {});
      assert.equal(old.evaluations?.['random-0.2-seed42']?.rating.rmse, 0.91234);
      assert.match(verified.stderr, /1 artefact\(s\) verified/);

      const file = join(registry.dir('itemcf', v1), 'itemcf.bin');
      writeFileSync(file, Buffer.alloc(2048, 8));
      oneLineError(run(['models', 'show', 'itemcf', v1, '--verify', '--data-dir', dir]), new RegExp(`streamrec: ${file}: checksum mismatch`));
      oneLineError(run(['models', 'show', 'svd', '--data-dir', dir]), /streamrec: unknown model "svd": expected one of als, itemcf/);
      oneLineError(run(['models', 'show', 'itemcf', 'v123', '--data-dir', dir]), /streamrec: no version v123 of model itemcf/);
      oneLineError(run(['models', 'rm', 'itemcf', v2, '--data-dir', dir]), new RegExp(`streamrec: itemcf ${v2} is the latest version; pass --force`));

      const rm = run(['models', 'rm', 'itemcf', v2, '--force', '--data-dir', dir]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal(rm.stdout, `removed itemcf ${v2}; latest is ${v1}\n`);
      assert.equal(registry.latestVersion('itemcf'), v1);
    } finally {
      cleanup();
    }
  });

  it('import-spark registers a Spark ALS model, and names what a wrong directory lacks', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spark = join(dir, 'spark-als');
      await writeSparkAlsDir(spark, smallFixture());
      const data = join(dir, 'data');
      oneLineError(run(['models', 'import-spark', spark, '--data-dir', data]), /streamrec: no dataset in .*: import the MovieLens data the Spark model was trained on first/);
      writeImportedDataset(data, 'ml-25m', '2024-01-01T00:00:00.000Z');
      writeImportedDataset(data, 'ml-latest-small', '2025-01-01T00:00:00.000Z');
      // The latest hybrid is on the same dataset: it stays the default, and the output says how to get the imported model.
      const staged = new ModelRegistry(data).stage('hybrid');
      writeFileSync(join(staged.dir, 'hybrid.json'), '{}');
      const hybrid = new ModelRegistry(data).commit(staged, { ...META, dataset: { ...META.dataset, name: 'ml-25m' }, components: {} }).version;
      const r = run(['models', 'import-spark', spark, '--name', 'ml-25m', '--data-dir', data]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^imported Spark ALS \(rank 2, 3 users, 4 movies, dataset "ml-25m"\) as als v\S+ \(latest\)/);
      assert.match(r.stdout, new RegExp(`note: hybrid ${hybrid} \\(same dataset\\) stays the default model; .*\\?model=als serves the imported one`));
      const meta = new ModelRegistry(data).latest('als');
      assert.equal(meta?.source, 'spark');
      assert.equal(meta?.dataset.name, 'ml-25m');
      assert.match(run(['models', 'list', '--data-dir', data]).stdout, /als\s+v\S+\s+\*.*ml-25m.*spark/);
      oneLineError(run(['models', 'import-spark', dir, '--data-dir', data]), /streamrec: not a Spark ALS model directory: .* has no metadata, userFactors, itemFactors/);
    } finally {
      cleanup();
    }
  });
});
