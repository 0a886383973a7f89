import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { CONFIG_VARIABLES, configuredPort, loadConfig, resolveDataDir, type ConfigVariable } from '../../src/util/config.js';
import { StreamrecError, UserError } from '../../src/util/errors.js';

/** Asserts loadConfig(env) throws the one-line bad-config UserError naming the variable and the value. */
function assertBad(name: ConfigVariable, value: string, must: RegExp): void {
  assert.throws(
    () => loadConfig({ [name]: value }),
    (err: unknown) => {
      assert.ok(err instanceof UserError, `a UserError for ${name}=${value}`);
      assert.equal(err.code, 'bad-config');
      assert.equal(err.userFacing, true);
      assert.ok(err.message.startsWith(`${name} must be `), err.message);
      assert.match(err.message, must);
      assert.ok(err.message.endsWith(`, got ${JSON.stringify(value)}`), err.message);
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    },
  );
}

describe('loadConfig', () => {
  it('has a default for every variable', () => {
    assert.deepEqual(loadConfig({}), {
      dataDir: resolve('./data'),
      port: 8000,
      logLevel: 'info',
      adminToken: undefined,
      corsOrigins: [],
      sseMaxClients: 1000,
      cacheSize: undefined,
      cacheTtlMs: undefined,
      sseHeartbeatMs: 30_000,
      clicksRateLimit: 1000,
      ratingsRateLimit: 1000,
      postgresUrl: undefined,
      redisUrl: undefined,
      leaseTtlMs: 5000,
      log: 'embedded',
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      STREAMREC_DATA_DIR: '/srv/streamrec',
      STREAMREC_PORT: '9000',
      STREAMREC_LOG_LEVEL: 'debug',
      STREAMREC_ADMIN_TOKEN: 's3cret-token',
      STREAMREC_CORS_ORIGIN: 'https://example.com, http://localhost:5173/',
      STREAMREC_SSE_MAX_CLIENTS: '50',
      STREAMREC_CACHE_SIZE: '50',
      STREAMREC_CACHE_TTL: '30m',
      STREAMREC_SSE_HEARTBEAT_MS: '500',
      STREAMREC_CLICKS_RATE_LIMIT: '0',
      STREAMREC_RATINGS_RATE_LIMIT: '2000',
      STREAMREC_POSTGRES_URL: 'postgres://shop@db:5432/shop',
      STREAMREC_REDIS_URL: 'redis://cache:6379',
      STREAMREC_LEASE_TTL: '2s',
      STREAMREC_LOG: 'nats://127.0.0.1:4222/prod',
      UNRELATED: 'ignored',
    });
    assert.deepEqual(config, { dataDir: '/srv/streamrec', port: 9000, logLevel: 'debug', adminToken: 's3cret-token',
      corsOrigins: ['https://example.com', 'http://localhost:5173'], sseMaxClients: 50, cacheSize: 50, cacheTtlMs: 1_800_000, sseHeartbeatMs: 500, clicksRateLimit: 0, ratingsRateLimit: 2000,
      postgresUrl: 'postgres://shop@db:5432/shop', redisUrl: 'redis://cache:6379', leaseTtlMs: 2000, log: 'nats://127.0.0.1:4222/prod' });
  });

  it('treats an empty variable as unset', () => {
    assert.deepEqual(loadConfig(Object.fromEntries(CONFIG_VARIABLES.map((name) => [name, '']))), loadConfig({}));
  });

  it('STREAMREC_DATA_DIR: a path, made absolute', () => {
    assert.equal(loadConfig({ STREAMREC_DATA_DIR: 'rel/dir' }).dataDir, resolve('rel/dir'));
  });

  it('STREAMREC_SSE_HEARTBEAT_MS: whole milliseconds from 100 to 3600000', () => {
    assert.equal(loadConfig({ STREAMREC_SSE_HEARTBEAT_MS: '100' }).sseHeartbeatMs, 100);
    for (const bad of ['fast', '99', '3600001', '250.5']) assertBad('STREAMREC_SSE_HEARTBEAT_MS', bad, /milliseconds from 100 to 3600000/);
  });

  it('STREAMREC_CORS_ORIGIN: origins (scheme, host, port) separated by commas, or *', () => {
    assert.deepEqual(loadConfig({ STREAMREC_CORS_ORIGIN: '*' }).corsOrigins, ['*']);
    assert.deepEqual(loadConfig({ STREAMREC_CORS_ORIGIN: 'http://[::1]:8080,https://a.example' }).corsOrigins, ['http://[::1]:8080', 'https://a.example']);
    for (const bad of ['example.com', 'https://example.com/app', 'ftp://example.com', 'https://example.com?x=1', 'https://a.example,nope']) assertBad('STREAMREC_CORS_ORIGIN', bad, /scheme, host and port only/);
  });

  it('STREAMREC_SSE_MAX_CLIENTS: a whole number of connections from 1', () => {
    assert.equal(loadConfig({ STREAMREC_SSE_MAX_CLIENTS: '1' }).sseMaxClients, 1);
    for (const bad of ['0', 'lots', '1.5', '-3']) assertBad('STREAMREC_SSE_MAX_CLIENTS', bad, /event-stream connections/);
  });

  it('STREAMREC_RATINGS_RATE_LIMIT: 0 disables, else at least one full request (1000)', () => {
    assert.equal(loadConfig({}).ratingsRateLimit, 1000);
    assert.equal(loadConfig({ STREAMREC_RATINGS_RATE_LIMIT: '5000' }).ratingsRateLimit, 5000);
    assert.equal(loadConfig({ STREAMREC_RATINGS_RATE_LIMIT: '0' }).ratingsRateLimit, 0);
    for (const bad of ['many', '-1', '2.5', '999']) assertBad('STREAMREC_RATINGS_RATE_LIMIT', bad, /ratings per second per client/);
  });

  it('STREAMREC_CLICKS_RATE_LIMIT: whole clicks per second, 0 disables', () => {
    assert.equal(loadConfig({ STREAMREC_CLICKS_RATE_LIMIT: '25' }).clicksRateLimit, 25);
    assert.equal(loadConfig({ STREAMREC_CLICKS_RATE_LIMIT: '0' }).clicksRateLimit, 0);
    for (const bad of ['many', '-1', '2.5']) assertBad('STREAMREC_CLICKS_RATE_LIMIT', bad, /clicks per second per client/);
  });

  it('STREAMREC_POSTGRES_URL and STREAMREC_REDIS_URL: URLs of their scheme', () => {
    assert.equal(loadConfig({ STREAMREC_POSTGRES_URL: 'postgresql://127.0.0.1/test' }).postgresUrl, 'postgresql://127.0.0.1/test');
    assert.equal(loadConfig({ STREAMREC_REDIS_URL: 'rediss://cache:6380/2' }).redisUrl, 'rediss://cache:6380/2');
    for (const bad of ['localhost:5432', 'mysql://db/x', 'postgres://']) assertBad('STREAMREC_POSTGRES_URL', bad, /a PostgreSQL URL/);
    for (const bad of ['127.0.0.1:6379', 'http://cache']) assertBad('STREAMREC_REDIS_URL', bad, /a Redis URL/);
  });

  it('STREAMREC_LEASE_TTL: a duration from 500 ms to 10 min, a bare number is seconds', () => {
    assert.equal(loadConfig({ STREAMREC_LEASE_TTL: '3' }).leaseTtlMs, 3000);
    assert.equal(loadConfig({ STREAMREC_LEASE_TTL: '500ms' }).leaseTtlMs, 500);
    for (const bad of ['soon', '100ms', '11m']) assertBad('STREAMREC_LEASE_TTL', bad, /a duration from 500ms to 10m/);
  });

  it('STREAMREC_LOG: embedded, kafka://… or nats://… (parts are checked where the log opens)', () => {
    assert.equal(loadConfig({ STREAMREC_LOG: 'kafka://a:9092,b:9092/x' }).log, 'kafka://a:9092,b:9092/x');
    assert.equal(loadConfig({ STREAMREC_LOG: ' embedded ' }).log, 'embedded');
    for (const bad of ['sqlite', 'redis://x:6379', 'nats://']) assertBad('STREAMREC_LOG', bad, /embedded, kafka:\/\/host:port/);
  });

  it('STREAMREC_PORT: 1 to 65535', () => {
    assert.equal(loadConfig({ STREAMREC_PORT: '1' }).port, 1);
    assert.equal(loadConfig({ STREAMREC_PORT: '65535' }).port, 65535);
    for (const bad of ['abc', '0', '65536', '80.5', '-1']) assertBad('STREAMREC_PORT', bad, /a port number from 1 to 65535/);
  });

  it('STREAMREC_LOG_LEVEL: a pino level', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) assert.equal(loadConfig({ STREAMREC_LOG_LEVEL: level }).logLevel, level);
    assertBad('STREAMREC_LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/);
  });

  it('STREAMREC_ADMIN_TOKEN: any token without spaces', () => {
    assert.equal(loadConfig({ STREAMREC_ADMIN_TOKEN: 'abc.DEF_123' }).adminToken, 'abc.DEF_123');
    assertBad('STREAMREC_ADMIN_TOKEN', 'two words', /without spaces/);
  });

  it('STREAMREC_CACHE_SIZE: a whole number of entries, 0 disables the cache', () => {
    assert.equal(loadConfig({ STREAMREC_CACHE_SIZE: '0' }).cacheSize, 0);
    assert.equal(loadConfig({ STREAMREC_CACHE_SIZE: '250000' }).cacheSize, 250_000);
    for (const bad of ['abc', '-1', '1.5']) assertBad('STREAMREC_CACHE_SIZE', bad, /a whole number ≥ 0/);
  });

  it('STREAMREC_CACHE_TTL: a positive duration, a bare number is seconds', () => {
    assert.equal(loadConfig({ STREAMREC_CACHE_TTL: '90' }).cacheTtlMs, 90_000);
    assert.equal(loadConfig({ STREAMREC_CACHE_TTL: '1h' }).cacheTtlMs, 3_600_000);
    assert.equal(loadConfig({ STREAMREC_CACHE_TTL: '500ms' }).cacheTtlMs, 500);
    for (const bad of ['soon', '0s', '-5m']) assertBad('STREAMREC_CACHE_TTL', bad, /a duration like 90s, 30m or 1h/);
  });

  it('names the first bad variable when several are bad', () => {
    assert.throws(() => loadConfig({ STREAMREC_PORT: 'x', STREAMREC_CACHE_SIZE: 'y' }), /^UserError: STREAMREC_PORT must be/);
  });
});

describe('the config helpers', () => {
  it('resolveDataDir: the flag, else STREAMREC_DATA_DIR, else ./data', () => {
    assert.equal(resolveDataDir('flag/dir', { STREAMREC_DATA_DIR: '/env/dir' }), resolve('flag/dir'));
    assert.equal(resolveDataDir(undefined, { STREAMREC_DATA_DIR: '/env/dir' }), '/env/dir');
    assert.equal(resolveDataDir(undefined, {}), resolve('./data'));
  });

  it('configuredPort: the flag, else STREAMREC_PORT, else 8000; a bad variable is a bad-config error', () => {
    assert.equal(configuredPort(0, { STREAMREC_PORT: '9000' }), 0);
    assert.equal(configuredPort(undefined, { STREAMREC_PORT: '9000' }), 9000);
    assert.equal(configuredPort(undefined, {}), 8000);
    assert.throws(() => configuredPort(undefined, { STREAMREC_PORT: 'http' }), (err: unknown) => err instanceof StreamrecError && err.code === 'bad-config');
  });
});
