/**
 * The engine's API fits the clicks and commerce pipelines: their window specs, declared here,
 * run through the real runner and log and match a brute-force computation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { avg, count, groupBy, groupByEach, record, sum, where } from '../../src/engine/aggregates/index.js';
import type { PipelineSpec } from '../../src/engine/pipeline.js';
import { runPipeline } from '../../src/engine/pipeline-runner.js';
import { tumbling } from '../../src/engine/windows.js';
import { jsonCodec } from '../../src/events/codec.js';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import type { EventLog } from '../../src/log/types.js';
import { Random } from '../../src/util/random.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2025, 10, 10, 12);

async function finalsOf(log: EventLog, topic: string): Promise<Record<string, unknown>[]> {
  const c = log.consumer({ group: 'read', topics: [topic], from: 'earliest' });
  const out: Record<string, unknown>[] = [];
  for (let b = await c.poll({ maxRecords: 10_000 }); b.length > 0; b = await c.poll({ maxRecords: 10_000 })) {
    for (const r of b) {
      const v = JSON.parse(r.value as string) as Record<string, unknown>;
      if (v.final) out.push(v);
    }
  }
  return out;
}

// ---------------------------------------------------------------- clicks: 2-second bins of cheers and hate
const Click = z.object({ type: z.enum(['cheer', 'hate']), timestamp: z.number().int() });
type Click = z.infer<typeof Click>;

const clicksAggregate = record({ total: count(), byType: groupBy((c: Click) => c.type, count()) });

const clicksSpec: PipelineSpec<Click, Click, unknown, ReturnType<typeof clicksAggregate.result>> = {
  name: 'clicks',
  source: { topic: 'clicks', codec: jsonCodec('click', Click) },
  eventTime: (c) => c.timestamp,
  enrich: (c) => c,
  windows: [tumbling('bins_2s', 2000)],
  aggregate: clicksAggregate,
  outOfOrdernessMs: 1000,
  idleTimeoutMs: 200,
  emitIntervalMs: 1000,
  stateVersion: 1,
  output: {
    topic: 'clicks.bins',
    format: (r, ctx) => ({
      bin_start: ctx.window.start, total: r.total, cheers: r.byType.cheer ?? 0, hate: r.byType.hate ?? 0, final: ctx.final,
    }),
  },
};

// ---------------------------------------------------------------- commerce: 30-second shop windows
const Item = z.object({ productId: z.number().int(), category: z.string(), quantity: z.number().int().positive(), unitPrice: z.number().positive() });
const ShopEvent = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('transaction'), id: z.string(), timestamp: z.number().int(), items: z.array(Item).min(1), total: z.number() }),
  z.object({ kind: z.literal('behaviour'), type: z.enum(['view', 'search', 'add_to_cart', 'remove_from_cart']), timestamp: z.number().int() }),
]);
type ShopEvent = z.infer<typeof ShopEvent>;
type Txn = Extract<ShopEvent, { kind: 'transaction' }>;
type ItemT = z.infer<typeof Item>;
const isTxn = (e: ShopEvent): e is Txn => e.kind === 'transaction';

const commerceAggregate = record({
  transactions: where(isTxn, count()),
  revenue: where(isTxn, sum((e: ShopEvent) => (e as Txn).total)),
  aov: where(isTxn, avg((e: ShopEvent) => (e as Txn).total)),
  categories: groupByEach(
    (e: ShopEvent) => (isTxn(e) ? e.items.map((i) => [i.category, i] as const) : []),
    record({ units: sum((i: ItemT) => i.quantity), revenue: sum((i: ItemT) => i.quantity * i.unitPrice) }),
  ),
  behaviours: groupBy((e: ShopEvent) => (e.kind === 'behaviour' ? [e.type] : []), count()),
});

const commerceSpec: PipelineSpec<ShopEvent, ShopEvent, unknown, ReturnType<typeof commerceAggregate.result>> = {
  name: 'commerce',
  source: { topic: 'shop', codec: jsonCodec('shop event', ShopEvent) },
  eventTime: (e) => e.timestamp,
  enrich: (e) => e,
  windows: [tumbling('tumbling_30s', 30_000)],
  aggregate: commerceAggregate,
  outOfOrdernessMs: 5000,
  idleTimeoutMs: 200,
  emitIntervalMs: 1000,
  stateVersion: 1,
  output: { topic: 'commerce.metrics', format: (r, ctx) => ({ window_start: ctx.window.start, ...r, final: ctx.final }) },
};

describe('window specs of the other pipelines', () => {
  it('clicks: 2-second bins of cheers and hate', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const rng = new Random(1);
      const clicks: Click[] = Array.from({ length: 3000 }, (_, i) => ({ type: rng.chance(0.7) ? 'cheer' : 'hate', timestamp: T0 + i * 7 }));
      await log.producer().send('clicks', clicks.map((c) => ({ value: JSON.stringify(c) })));
      await runPipeline(clicksSpec, { log, exitWhenIdle: true });
      const bins = await finalsOf(log, 'clicks.bins');
      const expected = new Map<number, { cheers: number; hate: number }>();
      for (const c of clicks) {
        const bin = Math.floor(c.timestamp / 2000) * 2000;
        const e = expected.get(bin) ?? { cheers: 0, hate: 0 };
        if (c.type === 'cheer') e.cheers++;
        else e.hate++;
        expected.set(bin, e);
      }
      assert.equal(bins.length, expected.size);
      for (const b of bins) {
        const e = expected.get(b.bin_start as number)!;
        assert.deepEqual([b.cheers, b.hate, b.total], [e.cheers, e.hate, e.cheers + e.hate]);
      }
    } finally {
      await log.close();
      cleanup();
    }
  });

  it('commerce: transactions, revenue, average order value, per-category units and revenue, behaviours by type', async () => {
    const { dir, cleanup } = tempDir();
    const log = openEmbeddedLog({ dataDir: dir });
    try {
      const rng = new Random(2);
      const categories = ['books', 'garden', 'toys', 'music'];
      const events: ShopEvent[] = [];
      for (let i = 0; i < 4000; i++) {
        const timestamp = T0 + i * 40;
        if (rng.chance(0.3)) {
          const items = Array.from({ length: rng.int(1, 3) }, () => ({
            productId: rng.int(1, 500), category: rng.pick(categories), quantity: rng.int(1, 4), unitPrice: rng.int(100, 5000) / 100,
          }));
          events.push({ kind: 'transaction', id: `t${i}`, timestamp, items, total: items.reduce((s, it) => s + it.quantity * it.unitPrice, 0) });
        } else {
          events.push({ kind: 'behaviour', type: rng.pick(['view', 'search', 'add_to_cart', 'remove_from_cart'] as const), timestamp });
        }
      }
      await log.producer().send('shop', events.map((e) => ({ value: JSON.stringify(e) })));
      await runPipeline(commerceSpec, { log, exitWhenIdle: true });
      const windows = await finalsOf(log, 'commerce.metrics');
      assert.equal(windows.length, Math.ceil((4000 * 40) / 30_000), "one final per 30 s window with events");
      for (const w of windows) {
        const start = w.window_start as number;
        const inWindow = events.filter((e) => e.timestamp >= start && e.timestamp < start + 30_000);
        const txns = inWindow.filter(isTxn);
        const revenue = txns.reduce((s, t) => s + t.total, 0);
        assert.equal(w.transactions, txns.length);
        assert.ok(Math.abs((w.revenue as number) - revenue) < 1e-6);
        if (txns.length) assert.ok(Math.abs((w.aov as number) - revenue / txns.length) < 1e-6);
        const cats = w.categories as Record<string, { units: number; revenue: number }>;
        for (const c of categories) {
          const items = txns.flatMap((t) => t.items).filter((i) => i.category === c);
          assert.equal(cats[c]?.units ?? 0, items.reduce((s, i) => s + i.quantity, 0), `${c} units`);
          assert.ok(Math.abs((cats[c]?.revenue ?? 0) - items.reduce((s, i) => s + i.quantity * i.unitPrice, 0)) < 1e-6);
        }
        const behaviours = w.behaviours as Record<string, number>;
        for (const type of ['view', 'search', 'add_to_cart', 'remove_from_cart']) {
          assert.equal(behaviours[type] ?? 0, inWindow.filter((e) => e.kind === 'behaviour' && e.type === type).length);
        }
      }
    } finally {
      await log.close();
      cleanup();
    }
  });
});
