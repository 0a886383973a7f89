import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamrecError, StreamrecRangeError, UserError, isUserFacing } from '../../src/util/errors.js';
import { AnalyticsBusyError } from '../../src/analytics/outputs.js';
import { AnalyticsQueryError, NoAnalyticsError } from '../../src/analytics/read-analytics.js';
import { CheckpointMismatchError } from '../../src/engine/checkpoint.js';
import { DecodeError } from '../../src/events/codec.js';
import { LogError } from '../../src/log/types.js';
import { CatalogueError } from '../../src/movies/catalogue-parse.js';

describe('the error model', () => {
  it('httpStatus: the status, else 400 for a user-facing error, else 500', () => {
    assert.equal(new StreamrecError('x', { code: 'a', status: 404 }).httpStatus, 404);
    assert.equal(new StreamrecError('x', { code: 'a' }).httpStatus, 400);
    assert.equal(new StreamrecError('x', { code: 'a', userFacing: false }).httpStatus, 500);
    assert.equal(new UserError('x').code, 'user-error');
    assert.equal(new UserError('x', { code: 'bad-config' }).code, 'bad-config');
  });

  it('a StreamrecRangeError is a RangeError and a StreamrecError; other errors are neither', () => {
    const err = new StreamrecRangeError('bad', { code: 'bad-arg', status: 400 });
    assert.ok(err instanceof RangeError);
    assert.ok(err instanceof StreamrecError);
    assert.ok(isUserFacing(err));
    assert.equal(err.httpStatus, 400);
    assert.ok(!(err instanceof UserError), 'subclasses keep the ordinary check');
    assert.ok(!(new StreamrecError('x', { code: 'a' }) instanceof UserError));
    assert.ok(!(new RangeError('x') instanceof StreamrecError));
    assert.ok(!(new Error('x') instanceof StreamrecError));
    for (const v of [null, undefined, 'text', 42, {}]) assert.ok(!(v instanceof StreamrecError));
    assert.ok(!isUserFacing(new StreamrecError('x', { code: 'a', userFacing: false })));
  });

  it('every domain error is a user-facing StreamrecError with a stable code and status', () => {
    const cases: [StreamrecError, string, number][] = [
      [new LogError('unknown topic: x'), 'log-error', 500],
      [new DecodeError('userId: expected number'), 'bad-event', 400],
      [new CheckpointMismatchError('windows changed'), 'checkpoint-mismatch', 500],
      [new CatalogueError('movie catalogue not found: /x', 'catalogue-not-found'), 'catalogue-not-found', 500],
      [new NoAnalyticsError(), 'no-analytics', 404],
      [new AnalyticsQueryError('limit must be a positive integer, got 0'), 'bad-analytics-query', 400],
      [new AnalyticsBusyError('another run'), 'analytics-busy', 503],
    ];
    for (const [err, code, status] of cases) {
      assert.ok(err instanceof StreamrecError, err.name);
      assert.ok(isUserFacing(err), err.name);
      assert.equal(err.code, code, err.name);
      assert.equal(err.httpStatus, status, err.name);
    }
    assert.ok(new AnalyticsQueryError('x') instanceof RangeError, 'still a RangeError for its callers');
  });
});
