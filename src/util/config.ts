/**
 * The one configuration: every `STREAMREC_*` environment variable, parsed and validated here with
 * zod. `loadConfig(env)` is pure (tests pass an object); a bad value is a `UserError` (code
 * `bad-config`) naming the variable and what it got, which the CLI prints as one line, exit 1.
 * An empty variable counts as unset. Flags win over the environment; the helpers below apply that.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { UserError } from './errors.js';

/** pino's levels (Fastify's request log). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StreamrecConfig {
  /** STREAMREC_DATA_DIR, absolute (default ./data): where streamrec keeps its data. */
  dataDir: string;
  /** STREAMREC_PORT (default 8000): the API's port, 1 to 65535. */
  port: number;
  /** STREAMREC_LOG_LEVEL (default info): the server's request log level. */
  logLevel: LogLevel;
  /**
   * STREAMREC_ADMIN_TOKEN: the bearer token the server's admin routes (every write route that is
   * not public ingestion, e.g. POST /recommendations/reload) require; unset, they answer loopback
   * clients only.
   */
  adminToken: string | undefined;
  /** STREAMREC_CORS_ORIGIN: origins (comma-separated, or `*`) allowed to call the API from a browser page; unset, CORS is off. */
  corsOrigins: string[];
  /** STREAMREC_SSE_MAX_CLIENTS (default 1000): event-stream connections the server holds at once, all streams together; more get 503. */
  sseMaxClients: number;
  /** STREAMREC_CACHE_SIZE: recommendation cache entries, 0 disables it; unset, the cache's default (1,000). */
  cacheSize: number | undefined;
  /** STREAMREC_CACHE_TTL in ms (`90s`, `30m`, `1h`; a bare number is seconds); unset, the cache's default (1 h). */
  cacheTtlMs: number | undefined;
  /** STREAMREC_SSE_HEARTBEAT_MS (default 30000): how often `/metrics/stream` sends its `{"type":"heartbeat"}` data message, 100 ms to 1 h. */
  sseHeartbeatMs: number;
  /** STREAMREC_CLICKS_RATE_LIMIT (default 1000): clicks per second one client (IP) may post to the clicks pipeline; 0 disables the limit. */
  clicksRateLimit: number;
  /** STREAMREC_RATINGS_RATE_LIMIT (default 1000): ratings per second one client (IP) may post to `POST /events/ratings`; 0 disables the limit, else at least 1000 (one full request). */
  ratingsRateLimit: number;
  /** STREAMREC_POSTGRES_URL (`postgres://…` or `postgresql://…`): the commerce shop's and warehouse's PostgreSQL; unset, the embedded SQLite shop and the lake as warehouse. */
  postgresUrl: string | undefined;
  /** STREAMREC_REDIS_URL (`redis://…` or `rediss://…`): where the commerce pipeline writes the seed's `metrics:*` keys; unset, no Redis. */
  redisUrl: string | undefined;
  /** STREAMREC_LEASE_TTL in ms (`5s`; a bare number is seconds; default 5 s, 0.5 s to 10 min): how long an owner (processor, lake sink) may miss heartbeats before a standby takes over. */
  leaseTtlMs: number;
  /** STREAMREC_LOG (default `embedded`): the event log, `embedded`, `kafka://host:port[,host:port…][/prefix]` or `nats://host:port[/prefix]` (parsed in full where it is opened). */
  log: string;
}

/** The variables, each with what a good value is (the error says "<name> must be <this>, got …"). */
const RULES = {
  STREAMREC_DATA_DIR: 'a directory path',
  STREAMREC_PORT: 'a port number from 1 to 65535',
  STREAMREC_LOG_LEVEL: `one of ${LOG_LEVELS.join(', ')}`,
  STREAMREC_ADMIN_TOKEN: 'a token without spaces',
  STREAMREC_CORS_ORIGIN: 'origins like https://example.com,http://localhost:5173 (scheme, host and port only), or *',
  STREAMREC_SSE_MAX_CLIENTS: 'a whole number from 1 to 1000000 (event-stream connections)',
  STREAMREC_CACHE_SIZE: 'a whole number ≥ 0 (entries; 0 disables the cache)',
  STREAMREC_CACHE_TTL: 'a duration like 90s, 30m or 1h (a bare number is seconds)',
  STREAMREC_SSE_HEARTBEAT_MS: 'a whole number of milliseconds from 100 to 3600000',
  STREAMREC_CLICKS_RATE_LIMIT: 'a whole number ≥ 0 (clicks per second per client; 0 disables the limit)',
  STREAMREC_RATINGS_RATE_LIMIT: '0 (no limit) or a whole number ≥ 1000 (ratings per second per client; one request may carry 1000)',
  STREAMREC_POSTGRES_URL: 'a PostgreSQL URL like postgres://user@host:5432/db',
  STREAMREC_REDIS_URL: 'a Redis URL like redis://host:6379',
  STREAMREC_LEASE_TTL: 'a duration from 500ms to 10m, like 5s (a bare number is seconds)',
  STREAMREC_LOG: 'embedded, kafka://host:port[,host:port…][/prefix] or nats://host:port[/prefix]',
} as const;
export type ConfigVariable = keyof typeof RULES;
export const CONFIG_VARIABLES = Object.keys(RULES) as ConfigVariable[];

/** A variable's text as it is; empty (or blank) → unset. */
const text = z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? v : undefined), z.string().optional());

function wholeNumber(min: number, max: number) {
  return z.number().int().min(min).max(max);
}

const schema = z.object({
  STREAMREC_DATA_DIR: text.transform((dir) => resolve(dir ?? './data')),
  STREAMREC_PORT: text.transform((v) => (v === undefined ? 8000 : Number(v))).pipe(wholeNumber(1, 65535)),
  STREAMREC_LOG_LEVEL: text.pipe(z.enum(LOG_LEVELS).default('info')),
  STREAMREC_ADMIN_TOKEN: text.pipe(z.string().regex(/^\S+$/).optional()),
  STREAMREC_CORS_ORIGIN: text.transform((v) => (v === undefined ? [] : corsOriginList(v))).pipe(z.array(z.string())),
  STREAMREC_SSE_MAX_CLIENTS: text.transform((v) => (v === undefined ? 1000 : Number(v))).pipe(wholeNumber(1, 1_000_000)),
  STREAMREC_CACHE_SIZE: text.transform((v) => (v === undefined ? undefined : Number(v))).pipe(wholeNumber(0, Number.MAX_SAFE_INTEGER).optional()),
  STREAMREC_CACHE_TTL: text.transform((v) => (v === undefined ? undefined : durationMs(v))).pipe(z.number().positive().optional()),
  STREAMREC_SSE_HEARTBEAT_MS: text.transform((v) => (v === undefined ? 30_000 : Number(v))).pipe(wholeNumber(100, 3_600_000)),
  STREAMREC_CLICKS_RATE_LIMIT: text.transform((v) => (v === undefined ? 1000 : Number(v))).pipe(wholeNumber(0, 1_000_000_000)),
  STREAMREC_RATINGS_RATE_LIMIT: text
    .transform((v) => (v === undefined ? 1000 : Number(v)))
    .pipe(wholeNumber(0, 1_000_000_000))
    .refine((v) => v === 0 || v >= 1000),
  STREAMREC_POSTGRES_URL: text.refine((v) => v === undefined || isUrl(v, ['postgres:', 'postgresql:'])),
  STREAMREC_REDIS_URL: text.refine((v) => v === undefined || isUrl(v, ['redis:', 'rediss:'])),
  STREAMREC_LEASE_TTL: text.transform((v) => (v === undefined ? 5000 : durationMs(v))).pipe(z.number().min(500).max(600_000)),
  STREAMREC_LOG: text.transform((v) => (v === undefined ? 'embedded' : v.trim())).refine(isLogChoice),
});

/** The shape of a --log value; its parts (servers, ports, prefix) are checked where the log is opened. */
function isLogChoice(value: string): boolean {
  return value === 'embedded' || /^(kafka|nats):\/\/\S+$/.test(value);
}

/** Whether `value` parses as a URL with one of `protocols` and a host. */
export function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(value.trim());
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * A CORS origin as a browser sends it in `Origin`: scheme, host and port, no path (a trailing
 * slash is dropped), or `*` for any origin. Throws an Error saying what a good value is.
 */
export function parseCorsOrigin(value: string): string {
  const v = value.trim();
  if (v === '*') return v;
  let url: URL | null = null;
  try {
    url = new URL(v);
  } catch {
    // named below
  }
  const origin = url && (url.protocol === 'http:' || url.protocol === 'https:') ? url.origin : null;
  if (origin === null || origin !== v.replace(/\/$/, '')) {
    throw new Error(`${JSON.stringify(value)} is not an origin: give scheme, host and port only, like https://example.com or http://localhost:5173 (or * for any)`);
  }
  return origin;
}

/** Comma-separated origins (`parseCorsOrigin` each); null when one is bad. */
function corsOriginList(value: string): string[] | null {
  try {
    return value.split(',').filter((part) => part.trim() !== '').map(parseCorsOrigin);
  } catch {
    return null;
  }
}

function durationMs(value: string): number {
  try {
    return parseDuration(value);
  } catch {
    return NaN;
  }
}

/** Every STREAMREC_* variable of env, validated; throws a `bad-config` UserError naming the first bad one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StreamrecConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const name = result.error.issues[0]?.path[0] as ConfigVariable;
    throw new UserError(`${name} must be ${RULES[name]}, got ${JSON.stringify(env[name])}`, { code: 'bad-config' });
  }
  const v = result.data;
  return {
    dataDir: v.STREAMREC_DATA_DIR,
    port: v.STREAMREC_PORT,
    logLevel: v.STREAMREC_LOG_LEVEL,
    adminToken: v.STREAMREC_ADMIN_TOKEN,
    corsOrigins: v.STREAMREC_CORS_ORIGIN,
    sseMaxClients: v.STREAMREC_SSE_MAX_CLIENTS,
    cacheSize: v.STREAMREC_CACHE_SIZE,
    cacheTtlMs: v.STREAMREC_CACHE_TTL,
    sseHeartbeatMs: v.STREAMREC_SSE_HEARTBEAT_MS,
    clicksRateLimit: v.STREAMREC_CLICKS_RATE_LIMIT,
    ratingsRateLimit: v.STREAMREC_RATINGS_RATE_LIMIT,
    postgresUrl: v.STREAMREC_POSTGRES_URL?.trim(),
    redisUrl: v.STREAMREC_REDIS_URL?.trim(),
    leaseTtlMs: v.STREAMREC_LEASE_TTL,
    log: v.STREAMREC_LOG,
  };
}

/** Where streamrec keeps its data: --data-dir, else STREAMREC_DATA_DIR, else ./data. */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag === undefined ? loadConfig(env).dataDir : resolve(flag);
}

/** Which event log to run on: --log, else STREAMREC_LOG, else `embedded`. */
export function resolveLog(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag === undefined ? loadConfig(env).log : flag.trim();
}

/** The embedded log's file inside a data dir. */
export function logPath(dataDir: string): string {
  return resolve(dataDir, 'log', 'log.db');
}

/** The API's port: a --port flag, else STREAMREC_PORT, else 8000. A bad STREAMREC_PORT is a `bad-config` UserError saying what it was. */
export function configuredPort(flag?: number, env: NodeJS.ProcessEnv = process.env): number {
  return flag ?? loadConfig(env).port;
}
