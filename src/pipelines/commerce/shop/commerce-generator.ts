import { setTimeout as sleep } from 'node:timers/promises';
import type { PacedStats } from '../../paced-producer.js';
import type { PipelineGenerator } from '../../pipeline-declaration.js';
import { loadConfig } from '../../../util/config.js';
import { UserError } from '../../../util/errors.js';
import { ShopTraffic } from './shop-model.js';
import { DEFAULT_SHOP_SCHEMA, openShop, type ShopOptions } from './shop-store.js';

/** The shop's database from the flags (`--postgres`, `--shop-schema`) and STREAMREC_POSTGRES_URL. */
export function shopOptions(flags: Record<string, unknown>, dataDir: string): ShopOptions {
  const postgresUrl = (flags.postgres as string | undefined) ?? loadConfig().postgresUrl;
  const schema = (flags.shopSchema as string | undefined) ?? DEFAULT_SHOP_SCHEMA;
  return { dataDir, postgresUrl, schema };
}

/**
 * `streamrec generate commerce`: the shop's business writes — purchases with their items (70 %),
 * behaviours, searches and cart events (30 %) — each with its outbox rows in one database
 * transaction. The events go to the database, not the log: the relay moves them.
 */
export const commerceGenerator: PipelineGenerator = {
  description: 'a shop writing orders, behaviours, searches and cart events (with their outbox rows) to PostgreSQL or an embedded SQLite file',
  noun: 'shop events',
  examples: [
    'streamrec generate commerce --rate 20                        embedded shop (<data-dir>/commerce/shop.db)',
    'streamrec generate commerce --rate 500 --postgres postgres://127.0.0.1/test',
    'streamrec generate commerce --rate max --count 100000 --shop-schema shop_test',
  ],
  options: (command) =>
    command
      .option('--postgres <url>', 'the shop on PostgreSQL (default: STREAMREC_POSTGRES_URL, else embedded SQLite in the data dir)')
      .option('--shop-schema <name>', 'the PostgreSQL schema of the shop', DEFAULT_SHOP_SCHEMA)
      .option('--redis <url>', 'write the seed\'s metrics:* keys to this Redis (default: STREAMREC_REDIS_URL, else none)'),
  prepare(flags) {
    if (flags.from !== undefined) return Promise.reject(new UserError('the commerce shop writes events as they happen: --from (backfill) is not supported'));
    const schema = flags.shopSchema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(String(schema))) {
      return Promise.reject(new UserError(`--shop-schema must be a lower-case SQL name (letters, digits, _), got "${String(schema)}"`));
    }
    return Promise.resolve();
  },
  async run(flags, paced, ctx) {
    const shop = await openShop(shopOptions(flags, ctx.dataDir));
    try {
      const traffic = new ShopTraffic(paced.seed, shop.products, shop.customers);
      ctx.onStart?.(`${shop.description}: ${shop.customers} customers, ${shop.products.length} products`);
      const limit = paced.count ?? Infinity;
      const flat = !Number.isFinite(paced.rate);
      const batchSize = flat ? 500 : 200;
      const started = Date.now();
      const stats: PacedStats = { sent: 0, elapsedMs: 0, rate: 0, lastEmitTime: 0 };
      const timeUp = () => paced.durationMs !== undefined && Date.now() - started >= paced.durationMs;
      while (stats.sent < limit && !ctx.signal.aborted && !timeUp()) {
        let due = flat ? batchSize : Math.min(batchSize, Math.floor(((Date.now() - started) / 1000) * paced.rate) - stats.sent);
        if (due <= 0) {
          await sleep(Math.max(1, Math.min(50, ((stats.sent + 1) / paced.rate) * 1000 - (Date.now() - started))));
          continue;
        }
        due = Math.min(due, limit - stats.sent);
        const now = Date.now();
        const drafts = Array.from({ length: due }, () => traffic.next(now));
        await shop.write(drafts);
        stats.sent += due;
        stats.lastEmitTime = now;
        stats.elapsedMs = Date.now() - started;
        stats.rate = stats.elapsedMs > 0 ? (stats.sent * 1000) / stats.elapsedMs : 0;
        ctx.onProgress?.(stats);
        if (flat) await new Promise((r) => setImmediate(r));
      }
      stats.elapsedMs = Date.now() - started;
      stats.rate = stats.elapsedMs > 0 ? (stats.sent * 1000) / stats.elapsedMs : 0;
      return stats;
    } finally {
      await shop.close();
    }
  },
};
