// The table's derived orders: which model serves recommend and predict by default, and what the
// hybrid blends (README, "Evaluation", gives the measurements they follow).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HYBRID_COMPONENTS, LOAD_ORDER, RATING_COMPONENTS, RATING_SERVING_MODELS, SERVING_MODELS, fitOrder } from '../../../src/recommend/models/model-kinds.js';

describe('MODEL_KINDS', () => {
  it('prefers the hybrid, EASE, iALS, RP3beta, item-CF, ALS, content for recommend', () => {
    assert.deepEqual(SERVING_MODELS, ['hybrid', 'ease', 'ials', 'rp3beta', 'itemcf', 'als', 'content']);
  });

  it('prefers the hybrid, ALS, item-CF, content for predict: iALS models no ratings', () => {
    assert.deepEqual(RATING_SERVING_MODELS, ['hybrid', 'als', 'itemcf', 'content']);
  });

  it('blends iALS in the hybrid\'s ranking fusion but not in its rating blend', () => {
    assert.deepEqual(HYBRID_COMPONENTS, ['als', 'itemcf', 'content', 'ease', 'ials', 'rp3beta', 'popularity']);
    assert.deepEqual(RATING_COMPONENTS, ['als', 'itemcf', 'content', 'popularity']);
    assert.equal(LOAD_ORDER.at(-1), 'hybrid', 'the hybrid loads after its components');
    assert.deepEqual(fitOrder(['ials']), { base: ['ials'], blending: [] });
    assert.deepEqual(fitOrder(['hybrid']).base, HYBRID_COMPONENTS, 'a hybrid fit trains every component');
  });
});
