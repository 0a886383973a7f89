import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogUrl, parseLogUrl } from '../../src/log/log-url.js';
import { openLog } from '../../src/log/open-log.js';
import { tempDir } from '../helpers/tmp.js';

describe('--log URL', () => {
  it('reads embedded, kafka:// with several servers, and nats:// with default ports and prefix', () => {
    assert.deepEqual(parseLogUrl('embedded'), { kind: 'embedded' });
    assert.deepEqual(parseLogUrl(''), { kind: 'embedded' });
    assert.deepEqual(parseLogUrl('kafka://k1:9093,k2/prod-a'), { kind: 'kafka', servers: ['k1:9093', 'k2:9092'], prefix: 'prod-a' });
    assert.deepEqual(parseLogUrl('nats://127.0.0.1'), { kind: 'nats', servers: ['127.0.0.1:4222'], prefix: 'streamrec' });
    assert.deepEqual(parseLogUrl('nats://[::1]:4333/x_y/'), { kind: 'nats', servers: ['[::1]:4333'], prefix: 'x_y' });
    assert.equal(formatLogUrl({ kind: 'kafka', servers: ['a:1', 'b:2'], prefix: 'p' }), 'kafka://a:1,b:2/p');
  });

  it('names the bad part', () => {
    assert.throws(() => parseLogUrl('sqlite'), /log "sqlite": expected embedded, kafka:\/\//);
    assert.throws(() => parseLogUrl('redis://x'), /unknown scheme "redis:\/\/"/);
    assert.throws(() => parseLogUrl('nats:///p'), /no server given/);
    assert.throws(() => parseLogUrl('kafka://a:9092,b:99999'), /server "b:99999" has port "99999", expected a number from 1 to 65535/);
    assert.throws(() => parseLogUrl('kafka://a b:1'), /server "a b:1" has no valid host name/);
    assert.throws(() => parseLogUrl('nats://h/a.b'), /prefix "a.b" must be 1 to 64 letters/);
  });

  it('opens the embedded log by default, and NATS and Kafka logs lazily (no connection before first use)', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const log = openLog({ dataDir: dir });
      assert.match(log.description, /^embedded:/);
      await log.close();
      assert.match(openLog({ dataDir: dir, log: 'nats://127.0.0.1:4222/x' }).description, /^nats:\/\/127\.0\.0\.1:4222\/x$/);
      assert.match(openLog({ dataDir: dir, log: 'kafka://127.0.0.1:9092,127.0.0.1:9093/y' }).description, /^kafka:\/\/127\.0\.0\.1:9092,127\.0\.0\.1:9093/);
    } finally {
      cleanup();
    }
  });
});
