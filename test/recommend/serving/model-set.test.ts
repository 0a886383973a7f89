// The serving model set: every model loads on its own (a broken one costs only itself), a hybrid
// blends the set's own instances, and a reload keeps what it can from the set before.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../../src/recommend/data/dataset.js';
import { HybridModel } from '../../../src/recommend/models/hybrid/hybrid.js';
import type { ModelName } from '../../../src/recommend/models/model-kinds.js';
import { ModelRegistry } from '../../../src/recommend/registry/registry.js';
import { loadModelSet, type ModelSet } from '../../../src/recommend/serving/model-set.js';
import { tempDir } from '../../helpers/tmp.js';
import { trainIntoRegistry } from '../../../src/recommend/train/train-registry.js';
import { SMALL_TRAIN, storeSynthDataset, trainAllIntoDataDir } from './fixtures.js';

/** A new version of `model` with the artefacts and metadata of `from`; `damage` flips a byte of its array file. */
function commitCopy(registry: ModelRegistry, model: ModelName, from: string, damage = false): string {
  const meta = registry.metadata(model, from);
  const staged = registry.stage(model);
  for (const a of meta.artefacts) copyFileSync(join(registry.dir(model, from), a.file), join(staged.dir, a.file));
  if (damage) {
    const file = join(staged.dir, meta.artefacts.find((a) => a.file.endsWith('.bin') || a.file.endsWith('.json'))!.file);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(file, bytes);
  }
  const { params, dataFingerprint, dataset, trainingSeconds, source, components } = meta;
  return registry.commit(staged, { params, dataFingerprint, dataset, trainingSeconds, source, ...(components ? { components } : {}) }).version;
}

function hybridOf(set: ModelSet): HybridModel {
  const hybrid = set.models.get('hybrid');
  assert.ok(hybrid instanceof HybridModel);
  return hybrid;
}

describe('serving model set', () => {
  let dataDir: string;
  let cleanup: () => void;
  let dataset: Dataset;
  let registry: ModelRegistry;
  let trained: Record<ModelName, string>;

  before(async () => {
    ({ dir: dataDir, cleanup } = tempDir());
    dataset = await storeSynthDataset(dataDir);
    trained = await trainAllIntoDataDir(dataDir, dataset);
    registry = new ModelRegistry(dataDir);
  });
  after(() => cleanup());

  it('loads each model once: the hybrid blends the set\'s own instances, its popularity is the fallback', async () => {
    const set = await loadModelSet(registry, dataDir, null);
    assert.equal(set.defaultModel, 'hybrid');
    assert.equal(set.defaultRatingModel, 'hybrid');
    assert.deepEqual(set.versions, trained);
    assert.deepEqual(set.failures, []);
    const hybrid = hybridOf(set);
    for (const name of ['als', 'itemcf', 'content', 'ease', 'ials', 'rp3beta'] as const) assert.equal(hybrid.components.get(name), set.models.get(name), `${name} is one instance`);
    assert.equal(hybrid.components.get('popularity'), set.popularity, 'streamed ratings reach the hybrid\'s popularity');
    assert.deepEqual(set.streamedPopularity, [set.popularity]);
  });

  it('serves the other models when the latest artefact of one is corrupt, and says why', async () => {
    const broken = commitCopy(registry, 'itemcf', trained.itemcf, true);
    try {
      const set = await loadModelSet(registry, dataDir, null);
      assert.deepEqual([...set.models.keys()].sort(), ['als', 'content', 'ease', 'hybrid', 'ials', 'rp3beta'], 'item-CF left out, the others served');
      assert.equal(set.defaultModel, 'hybrid', 'the hybrid blends the item-CF version it was fitted with, which is intact');
      assert.equal(set.failures.length, 1);
      assert.equal(set.failures[0]!.model, 'itemcf');
      assert.equal(set.failures[0]!.version, broken);
      assert.match(set.failures[0]!.error, /itemcf\.bin: checksum mismatch/);
      assert.ok(set.notes.includes(`itemcf ${broken} failed to load: not served`), set.notes.join('\n'));
      const user = dataset.ratings.columns.users[0]!;
      const history = { userId: user, movies: new Int32Array(0), ratings: new Float32Array(0) };
      for (const model of set.models.values()) assert.ok(Array.isArray(model.recommend(history, 5)));
    } finally {
      registry.remove('itemcf', broken, { force: true });
    }
  });

  it('keeps serving the version loaded before when a new one fails, model by model', async () => {
    const first = await loadModelSet(registry, dataDir, null);
    const brokenAls = commitCopy(registry, 'als', trained.als, true);
    const brokenHybrid = commitCopy(registry, 'hybrid', trained.hybrid, true);
    try {
      const next = await loadModelSet(registry, dataDir, first);
      assert.equal(next.data, first.data, 'the same dataset is not loaded again');
      assert.equal(next.models.get('als'), first.models.get('als'));
      assert.equal(next.models.get('hybrid'), first.models.get('hybrid'));
      assert.equal(next.versions.als, trained.als);
      assert.equal(next.versions.hybrid, trained.hybrid);
      assert.deepEqual(
        next.failures.map((f) => [f.model, f.version, f.serving]),
        [['als', brokenAls, trained.als], ['hybrid', brokenHybrid, trained.hybrid]],
      );
      assert.match(next.failures[1]!.error, /hybrid\.json/);
      assert.ok(next.notes.includes(`als ${brokenAls} failed to load: still serving als ${trained.als}`), next.notes.join('\n'));
    } finally {
      registry.remove('hybrid', brokenHybrid, { force: true });
      registry.remove('als', brokenAls, { force: true });
    }
  });

  it('streams into both popularity models when the hybrid blends another popularity version than the latest', async () => {
    const newer = commitCopy(registry, 'popularity', trained.popularity);
    try {
      const set = await loadModelSet(registry, dataDir, null);
      assert.equal(set.versions.popularity, newer);
      const blended = hybridOf(set).components.get('popularity');
      assert.notEqual(blended, set.popularity);
      assert.deepEqual(set.streamedPopularity, [set.popularity, blended]);
      assert.equal(hybridOf(set).components.get('als'), set.models.get('als'), 'the other components are still shared');
    } finally {
      registry.remove('popularity', newer, { force: true });
    }
  });

  it('without the hybrid, recommends with the best ranking model loaded and predicts with the best rating model', async () => {
    const { dir, cleanup: done } = tempDir();
    try {
      const small = await storeSynthDataset(dir);
      await trainIntoRegistry({ dataset: small, models: ['als', 'itemcf', 'ease'], params: SMALL_TRAIN, registry: new ModelRegistry(dir), hooks: { threads: 1 }, evaluate: false });
      const set = await loadModelSet(new ModelRegistry(dir), dir, null);
      assert.equal(set.defaultModel, 'ease', 'EASE ranks best (the table\'s preference)');
      assert.equal(set.defaultRatingModel, 'als', 'EASE does not model ratings: ALS predicts them best');
    } finally {
      done();
    }
  });
});
