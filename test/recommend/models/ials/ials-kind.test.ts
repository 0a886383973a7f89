import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildInteractions } from '../../../../src/recommend/data/interactions.js';
import { synthesize } from '../../../../src/recommend/data/synth.js';
import { Catalogue } from '../../../../src/movies/catalogue.js';
import { ials } from '../../../../src/recommend/models/ials/ials-kind.js';
import { IalsModel } from '../../../../src/recommend/models/ials/ials.js';
import { DEFAULT_IALS_PARAMS } from '../../../../src/recommend/models/ials/ials-params.js';
import { emptyHistory } from '../../../../src/recommend/models/recommender.js';
import { tempDir } from '../../../helpers/tmp.js';

describe('the iALS model kind', () => {
  it('is a servable ranking model and a hybrid component whose score is not a rating', () => {
    assert.equal(ials.servable, true);
    assert.equal(ials.hybridComponent, true);
    assert.equal(ials.blends, false);
    assert.equal(ials.scoreIsRating, false);
    assert.equal(ials.defaults, DEFAULT_IALS_PARAMS);
    assert.equal(ials.defaults.rank, 64);
  });

  it('parses its flags into parameters, naming a bad value', () => {
    const option = (flag: string) => ials.options.find((o) => o.flag.startsWith(flag))!;
    assert.equal(option('--ials-rank').parse('32'), 32);
    assert.equal(option('--ials-alpha').parse('0.5'), 0.5);
    assert.equal(option('--ials-confidence').parse('log'), 'log');
    assert.throws(() => option('--ials-rank').parse('0'), /positive whole number/);
    assert.throws(() => option('--ials-confidence').parse('square'), /expected linear or log/);
    for (const o of ials.options) assert.match(o.describe(ials.defaults), /\(default /);
  });

  it('fits through the table entry with progress, saves, and loads back through it', async () => {
    const synth = synthesize({ users: 200, movies: 80, ratings: 6000, rank: 3, noise: 0.5, seed: 2 });
    const data = buildInteractions(synth.columns);
    const progress: [string, number, number][] = [];
    const fitted = await ials.fit({
      matrix: () => data,
      source: { columns: synth.columns, catalogue: Catalogue.fromMovies(synth.movies) },
      params: { ...DEFAULT_IALS_PARAMS, rank: 8, iterations: 2 },
      hooks: { threads: 2, onProgress: (model, phase, done, total) => { assert.equal(model, 'ials'); progress.push([phase, done, total]); } },
      ratingComponents: [],
      rankingPreference: [],
      components: new Map(),
      fitComponent: () => Promise.reject(new Error('not a blend')),
    });
    assert.ok(fitted.model instanceof IalsModel);
    assert.ok(typeof fitted.training?.seconds === 'number');
    assert.ok(progress.length >= 4);
    assert.ok(progress.every(([, done, total]) => done <= total && total === 4000));
    assert.deepEqual(progress.at(-1)!.slice(1), [4000, 4000]);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i][1] >= progress[i - 1][1], 'progress never goes back');
    const { dir, cleanup } = tempDir();
    try {
      fitted.model.save(dir);
      const loaded = ials.load({ dir, components: new Map() });
      const userId = data.users.ids[0];
      assert.deepEqual(loaded.recommend(emptyHistory(userId), 5), fitted.model.recommend(emptyHistory(userId), 5));
    } finally {
      cleanup();
    }
  });
});
