// The response cache of /recommendations/recommend: an LRU with a TTL (lru-cache), keyed by
// everything that shapes an answer, with a per-user key index so a user's new rating drops
// exactly their entries.
import { LRUCache } from 'lru-cache';
import { loadConfig } from '../../util/config.js';

export const DEFAULT_CACHE_SIZE = 1000;
export const DEFAULT_CACHE_TTL_MS = 3_600_000;

export interface CacheOptions {
  /** Entries kept (default 1,000; env STREAMREC_CACHE_SIZE). 0 disables the cache. */
  max?: number;
  /** Time to live in ms (default 1 h; env STREAMREC_CACHE_TTL, e.g. `30m`, `90s` or ms). */
  ttlMs?: number;
  /** The clock the TTL is measured on (tests pass a fake one). */
  now?: () => number;
}

export interface CacheKey {
  model: string;
  version: string;
  userId: number;
  n: number;
  genre: string | undefined;
  /** Sorted, distinct. */
  exclude: readonly number[];
}

export interface CacheStats {
  size: number;
  max: number;
  hits: number;
  misses: number;
  ttlMs: number;
}

interface Entry<V> {
  userId: number;
  value: V;
}

export class RecommendationCache<V> {
  hits = 0;
  misses = 0;
  readonly max: number;
  readonly ttlMs: number;
  private readonly lru: LRUCache<string, Entry<V>> | null;
  /** userId → the keys of their entries, so invalidation needs no scan. */
  private readonly byUser = new Map<number, Set<string>>();
  private readonly clock: (() => number) | undefined;
  private lastPurge = -Infinity;

  constructor(options: CacheOptions = {}) {
    this.max = options.max ?? DEFAULT_CACHE_SIZE;
    this.ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    if (!Number.isInteger(this.max) || this.max < 0) throw new RangeError(`cache size must be a non-negative integer, got ${this.max}`);
    if (!(this.ttlMs > 0)) throw new RangeError(`cache TTL must be positive, got ${this.ttlMs} ms`);
    const now = options.now;
    this.clock = now;
    this.lru = this.max === 0 ? null : new LRUCache<string, Entry<V>>({
      max: this.max,
      ttl: this.ttlMs,
      // A fake clock is read on every check (lru-cache otherwise caches the time for 1 ms of real time).
      ...(now ? { perf: { now }, ttlResolution: 0 } : {}),
      // Called on eviction, expiry, delete and overwrite alike: keep the user index exact.
      dispose: (entry, key) => this.unindex(entry.userId, key),
    });
  }

  static key(k: CacheKey): string {
    return `${k.model}|${k.version}|${k.userId}|${k.n}|${k.genre ?? ''}|${k.exclude.join(',')}`;
  }

  get(key: string): V | undefined {
    const entry = this.lru?.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return entry.value;
  }

  set(key: string, userId: number, value: V): void {
    if (!this.lru) return;
    this.lru.set(key, { userId, value });
    let keys = this.byUser.get(userId);
    if (!keys) this.byUser.set(userId, (keys = new Set()));
    keys.add(key);
  }

  /** Drops every entry of a user (they rated something: their answers changed). */
  invalidateUser(userId: number): number {
    const keys = this.byUser.get(userId);
    if (!keys || !this.lru) return 0;
    const list = [...keys];
    for (const key of list) this.lru.delete(key);
    this.byUser.delete(userId);
    return list.length;
  }

  /** Drops everything (the models changed). Hit and miss counts are kept. */
  clear(): void {
    this.lru?.clear();
    this.byUser.clear();
  }

  stats(): CacheStats {
    // Expired entries are held until touched: purge them (a walk of the cache, so at most once a
    // second) for `size` to count live ones.
    const now = Date.now();
    if (now - this.lastPurge >= 1000 || this.clock) {
      this.lastPurge = now;
      this.lru?.purgeStale();
    }
    return { size: this.lru?.size ?? 0, max: this.max, hits: this.hits, misses: this.misses, ttlMs: this.ttlMs };
  }

  private unindex(userId: number, key: string): void {
    const keys = this.byUser.get(userId);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.byUser.delete(userId);
  }
}

/** Cache options from the environment: STREAMREC_CACHE_SIZE (entries) and STREAMREC_CACHE_TTL (`90s`, `30m`, `1h`; a bare number is seconds), as `loadConfig` reads them. */
export function cacheOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CacheOptions {
  const { cacheSize, cacheTtlMs } = loadConfig(env);
  return { ...(cacheSize !== undefined && { max: cacheSize }), ...(cacheTtlMs !== undefined && { ttlMs: cacheTtlMs }) };
}
