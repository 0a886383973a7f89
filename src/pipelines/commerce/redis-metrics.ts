/**
 * The seed's Redis keys, so its readers keep working: on each new result of the latest window,
 *
 *   metrics:transactions          {transaction_count, total_revenue, avg_order_value, window_start, window_end}
 *   metrics:products:<category>   {product_sales, category_revenue}
 *   metrics:behavior              {page_view: n, product_view: n, …} (every action, 0 when absent)
 *
 * as JSON with a TTL (1 h), in one MULTI. The values are a function of the result record alone,
 * so a replay (the writer restarted, reading the topic's tail again) rewrites the same values:
 * idempotent. Categories written before but absent from the latest window are set to zeros, so
 * every `metrics:products:*` key holds the latest window.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Consumer, EventLog, LogRecord } from '../../log/types.js';
import { StreamrecError } from '../../util/errors.js';
import { BEHAVIOR_ACTIONS } from './commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC } from './commerce-events.js';
import { commerceResultSchema, type CommerceResult } from './commerce-pipeline.js';

export const REDIS_TTL_SECONDS = 3600;
/** Records of `commerce.windows` read back at start (enough to hold the latest window's newest result). */
const TAIL_RECORDS = 200;
const textDecoder = new TextDecoder();

export interface RedisMetricsOptions {
  log: EventLog;
  /** redis://… */
  url: string;
  /** Put before every key (tests); default none, so the keys are exactly the seed's. */
  prefix?: string;
  ttlSeconds?: number;
  pollTimeoutMs?: number;
}

/** A Redis problem (code `redis-error`). */
export class RedisMetricsError extends StreamrecError {
  override name = 'RedisMetricsError';
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'redis-error', status: 503, cause });
  }
}

/** The keys and JSON values one result sets (categories `known` but absent get zeros). */
export function redisEntries(r: CommerceResult, known: Iterable<string> = []): [string, string][] {
  const out: [string, string][] = [
    ['metrics:transactions', JSON.stringify({
      transaction_count: r.transactions,
      total_revenue: r.revenue,
      avg_order_value: r.avg_order_value ?? 0,
      window_start: r.window_start,
      window_end: r.window_end,
    })],
  ];
  const categories = new Set([...Object.keys(r.categories), ...known]);
  for (const name of [...categories].sort()) {
    const c = r.categories[name];
    out.push([`metrics:products:${name}`, JSON.stringify({ product_sales: c?.units ?? 0, category_revenue: c?.revenue ?? 0 })]);
  }
  const behavior: Record<string, number> = {};
  for (const action of BEHAVIOR_ACTIONS) behavior[action] = r.behaviors[action] ?? 0;
  for (const [action, n] of Object.entries(r.behaviors)) behavior[action] = n;
  out.push(['metrics:behavior', JSON.stringify(behavior)]);
  return out;
}

export class RedisMetricsWriter {
  private readonly prefix: string;
  private readonly known = new Set<string>();
  /** The latest window's start (ms) and the newest result written for it. */
  private latestStart = -Infinity;
  private lastWritten: string | null = null;
  writes = 0;
  lastError: string | null = null;

  constructor(private readonly options: RedisMetricsOptions) {
    this.prefix = options.prefix ?? '';
  }

  status(): string {
    return `${this.writes} Redis updates${this.lastError ? ` (last error: ${this.lastError})` : ''}`;
  }

  /** Follows `commerce.windows` (from its last records) until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const redis = new Redis(this.options.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    redis.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new RedisMetricsError(`Redis at ${describeRedis(this.options.url)}: ${(err as Error).message}`, err);
    }
    let consumer: Consumer | null = null;
    try {
      await this.loadKnown(redis);
      const { log } = this.options;
      await log.ensureTopic(COMMERCE_WINDOWS_TOPIC, { partitions: 1 });
      consumer = log.consumer({ group: `redis-commerce-${process.pid}`, topics: [COMMERCE_WINDOWS_TOPIC], from: 'latest' });
      for (const p of (await log.topic(COMMERCE_WINDOWS_TOPIC))?.partitions ?? []) {
        consumer.seek(COMMERCE_WINDOWS_TOPIC, p.partition, Math.max(p.startOffset, p.endOffset - TAIL_RECORDS));
      }
      let pending: CommerceResult | null = null;
      while (!signal.aborted) {
        const batch = await consumer.poll({ maxRecords: 1000, timeoutMs: this.options.pollTimeoutMs ?? 100 });
        pending = this.newestOfLatest(batch) ?? pending;
        if (!pending) continue;
        try {
          await this.write(redis, pending);
          pending = null;
          this.lastError = null;
        } catch (err) {
          // Redis away: keep the result and write it (or a newer one) once Redis answers again.
          this.lastError = (err as Error).message;
          await sleep(500, undefined, { signal }).catch(() => {});
        }
      }
    } finally {
      await consumer?.close().catch(() => {});
      redis.disconnect();
    }
  }

  /** The newest result of the latest window in `batch`, if it is new; moves `latestStart`. */
  private newestOfLatest(batch: LogRecord[]): CommerceResult | null {
    let newest: CommerceResult | null = null;
    for (const rec of batch) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof rec.value === 'string' ? rec.value : textDecoder.decode(rec.value));
      } catch {
        continue;
      }
      const result = commerceResultSchema.safeParse(parsed);
      if (!result.success) continue;
      const start = Date.parse(result.data.window_start);
      if (start < this.latestStart) continue; // an older window's final: not the latest any more
      this.latestStart = start;
      newest = result.data;
    }
    return newest;
  }

  /** Sets the result's keys (with the TTL) in one MULTI. */
  async write(redis: Redis, r: CommerceResult): Promise<void> {
    const entries = redisEntries(r, this.known);
    const text = JSON.stringify(entries);
    if (text === this.lastWritten) return;
    const ttl = this.options.ttlSeconds ?? REDIS_TTL_SECONDS;
    const multi = redis.multi();
    for (const [key, value] of entries) multi.set(this.prefix + key, value, 'EX', ttl);
    const replies = await multi.exec();
    const failed = replies?.find(([err]) => err !== null);
    if (!replies || failed) throw new RedisMetricsError(`Redis MULTI failed: ${failed?.[0]?.message ?? 'aborted'}`);
    for (const name of Object.keys(r.categories)) this.known.add(name);
    this.lastWritten = text;
    this.writes++;
  }

  /** The categories whose keys exist (written by an earlier run), so they are zeroed too. */
  private async loadKnown(redis: Redis): Promise<void> {
    const match = `${this.prefix}metrics:products:*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
      for (const k of keys) this.known.add(k.slice(this.prefix.length + 'metrics:products:'.length));
      cursor = next;
    } while (cursor !== '0');
  }
}

export function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'Redis';
  }
}

/** Whether Redis at `url` answers PING: 'ok' or the error's message (for `/commerce/health`). */
export async function checkRedis(url: string, timeoutMs = 2000): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    const pong = await redis.ping();
    return pong === 'PONG' ? 'ok' : `unexpected reply ${pong}`;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    redis.disconnect();
  }
}
