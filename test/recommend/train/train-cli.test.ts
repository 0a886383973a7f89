// `streamrec train` and `evaluate` end to end, as a user runs them: a synthetic MovieLens
// directory, training into the registry, the skip / --force rules, and the comparison table whose
// results land in each model's metadata.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeSynthDataset } from '../../../src/recommend/data/synth.js';
import { ModelRegistry } from '../../../src/recommend/registry/registry.js';
import { tempDir } from '../../helpers/tmp.js';

const BIN = resolve(import.meta.dirname, '../../../src/cli/main.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('streamrec train and evaluate', () => {
  it('trains every model into the registry, skips what exists, retrains with --force, and evaluates', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const source = `${dir}/synth`;
      const dataDir = `${dir}/data`;
      await writeSynthDataset(source, { users: 300, movies: 120, ratings: 12_000, rank: 4, noise: 0.4, seed: 5, genomeTags: 16 });

      const first = run(['train', '--data-dir', dataDir, '--data', source, '--iterations', '5']);
      assert.equal(first.code, 0, first.stderr);
      for (const model of ['als', 'itemcf', 'content', 'hybrid']) assert.match(first.stderr, new RegExp(`${model} trained in`));
      assert.match(first.stdout, /peak memory: \d+ MB/);
      const registry = new ModelRegistry(dataDir);
      const als = registry.latest('als');
      assert.ok(als, 'als has a latest version');
      // Held-out 80/20 metrics, flat under .metrics of metadata.json (as `jq '.metrics'` read them), and printed.
      for (const model of ['als', 'itemcf', 'content', 'hybrid'] as const) {
        const file = JSON.parse(readFileSync(join(registry.dir(model, registry.latestVersion(model)!), 'metadata.json'), 'utf8')) as { metrics: Record<string, unknown>; heldOut?: { testRatings: number } };
        for (const key of ['rmse', 'mae', 'mse', 'r2']) assert.equal(typeof file.metrics[key], 'number', `${model} metrics.${key}`);
        const m = file.metrics as { rmse: number; mae: number; mse: number; r2: number };
        assert.ok(Math.abs(m.rmse * m.rmse - m.mse) < 1e-3, `${model}: rmse² ${m.rmse ** 2} ≈ mse ${m.mse}`);
        assert.ok(m.rmse > 0 && m.rmse < 2 && m.mae <= m.rmse && m.r2 <= 1, `${model}: ${JSON.stringify(m)}`);
        assert.equal(file.heldOut?.testRatings, 2400, 'a 20 % random split');
        assert.match(first.stdout, new RegExp(`^${model}: rmse ${m.rmse.toFixed(4)}  mae ${m.mae.toFixed(4)}  mse ${m.mse.toFixed(4)}  r2 ${m.r2.toFixed(4)}`, 'm'));
      }
      const alsMetrics = als.metrics;
      assert.equal(als.params.iterations, 5);
      const hybrid = registry.latest('hybrid');
      assert.ok(hybrid?.components, 'the hybrid names its components');
      assert.equal(hybrid.components.als, als.version);

      const again = run(['train', '--data-dir', dataDir, '--iterations', '5']);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /als skipped: .* same data and parameters/);
      assert.equal(registry.latest('als')?.version, als.version);

      const other = run(['train', '--data-dir', dataDir, '--models', 'als', '--iterations', '6']);
      assert.equal(other.code, 0, other.stderr);
      assert.notEqual(registry.latest('als')?.version, als.version, 'new parameters make a new version');

      const forced = run(['train', '--data-dir', dataDir, '--models', 'als', '--iterations', '6', '--force', '--no-eval']);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(registry.list('als').length, 3);
      assert.deepEqual(registry.latest('als')?.metrics, {}, '--no-eval stores no metrics');
      assert.doesNotMatch(forced.stdout, /^als: rmse/m);
      assert.notEqual(Object.keys(alsMetrics).length, 0);

      const evaluation = run(['evaluate', '--data-dir', dataDir, '--models', 'als,itemcf', '--iterations', '6', '--json']);
      assert.equal(evaluation.code, 0, evaluation.stderr);
      const report = JSON.parse(evaluation.stdout) as { protocol: string; results: { model: string; rating: { rmse: number }; ranking: { ndcg: number } }[] };
      assert.match(report.protocol, /random 80\/20 split/);
      assert.deepEqual(report.results.map((r) => r.model), ['als', 'itemcf', 'popularity']);
      for (const r of report.results) {
        assert.ok(r.rating.rmse > 0 && r.rating.rmse < 2, `${r.model} RMSE ${r.rating.rmse}`);
        assert.ok(r.ranking.ndcg >= 0 && r.ranking.ndcg <= 1);
      }
      // A model that learns beats the popularity baseline on rating error.
      const rmse = Object.fromEntries(report.results.map((r) => [r.model, r.rating.rmse]));
      assert.ok(rmse.als < rmse.popularity, `als ${rmse.als} vs popularity ${rmse.popularity}`);
      // The layout changed (s17): evaluate's results sit under .evaluations.<protocol>; .metrics keeps train's figures.
      const stored = registry.latest('als')?.evaluations?.[report.protocol] as { rating: { rmse: number } } | undefined;
      assert.equal(stored?.rating.rmse, rmse.als, 'the result is stored in the model metadata');
      const evaluatedItemcf = registry.latest('itemcf')!;
      assert.deepEqual(Object.keys(evaluatedItemcf.metrics).sort(), ['mae', 'mse', 'r2', 'rmse'], 'evaluate leaves .metrics as train wrote it');
      assert.ok(evaluatedItemcf.evaluations?.[report.protocol] !== undefined);

      const table = run(['evaluate', '--data-dir', dataDir, '--models', 'als', '--split', 'temporal', '--no-store']);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /per-user temporal leave-last-out/);
      assert.match(table.stdout, /RMSE.*P@10.*NDCG@10/);
    } finally {
      cleanup();
    }
  });

  it('names what is wrong: no dataset, an unknown model, conflicting sources', () => {
    const { dir, cleanup } = tempDir();
    try {
      const none = run(['train', '--data-dir', dir]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no dataset in .*streamrec dataset import/);
      const unknown = run(['train', '--data-dir', dir, '--models', 'als,svd']);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /unknown model "svd"/);
      const both = run(['evaluate', '--data-dir', dir, '--data', dir, '--from-lake']);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /--data or --from-lake, not both/);
    } finally {
      cleanup();
    }
  });
});
