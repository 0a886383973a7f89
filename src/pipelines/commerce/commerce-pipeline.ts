import { z } from 'zod';
import { count, distinctCount, groupBy, groupByEach, record, sum, topN, where } from '../../engine/aggregates/index.js';
import type { PipelineSpec, SourceTopic } from '../../engine/pipeline.js';
import { tumbling } from '../../engine/windows.js';
import { resultEnvelopeSchema } from '../pipeline-result.js';
import { resultEnvelope } from '../result-envelope.js';
import { COMMERCE_TOPICS, type CommerceEvent, type CommerceWindowFigures } from './commerce-contract.js';
import { COMMERCE_WINDOWS_TOPIC, commerceSourceCodecs } from './commerce-events.js';

export const COMMERCE_WINDOW = 'commerce_30s';
export const COMMERCE_WINDOW_MS = 30_000;
/** The seed's Spark watermark: events up to 10 s behind the newest still count. */
export const COMMERCE_OUT_OF_ORDERNESS_MS = 10_000;
/** Search terms listed in each result. */
export const TOP_SEARCHES = 10;

const count0 = z.number().int().nonnegative();
const amount = z.number().finite();

/** The figures of one window: the one definition the lake decode and the API types derive from. */
export const commerceFiguresSchema = z.object({
  transactions: count0,
  revenue: amount,
  avg_order_value: amount.nullable(),
  distinct_customers: count0,
  categories: z.record(z.string(), z.object({ units: z.number().int(), revenue: amount })),
  behaviors: z.record(z.string(), count0),
  top_searches: z.array(z.object({ query: z.string(), count: count0 })),
  cart: z.object({ adds: count0, removes: count0, conversion: amount.nullable() }),
});

/** A `commerce.windows` record: the engine's envelope plus the window's figures. */
export const commerceResultSchema = resultEnvelopeSchema.extend(commerceFiguresSchema.shape);
export type CommerceResult = z.infer<typeof commerceResultSchema>;

// The zod figures and the contract's interface (what the page reads) are the same shape.
const figuresMatch: [z.infer<typeof commerceFiguresSchema>] extends [CommerceWindowFigures]
  ? [CommerceWindowFigures] extends [z.infer<typeof commerceFiguresSchema>] ? true : false
  : false = true;
void figuresMatch;

/** Money in whole cents, so sums are exact integers whatever the order events are added in. */
export const cents = (amount: number): number => Math.round(amount * 100);
/** A search query as counted: trimmed, lower case. */
export const searchTerm = (query: string): string => query.trim().toLowerCase();

const isTransaction = (e: CommerceEvent) => e.topic === 'transactions';

/**
 * What each window computes over the events of the five topics. Revenue comes from `transactions.total`,
 * categories from `transaction_items` (an item shares its transaction's `event_id`, so it is never
 * taken for a second order); amounts are summed in cents.
 */
const aggregate = record({
  events: count(),
  transactions: where(isTransaction, count()),
  revenueCents: where(isTransaction, sum((e: CommerceEvent) => (e.topic === 'transactions' ? cents(e.total) : 0))),
  customers: distinctCount((e: CommerceEvent) => e.customer_id),
  categories: groupByEach(
    (e: CommerceEvent): [string, { units: number; cents: number }][] =>
      e.topic === 'transaction_items' ? [[e.category, { units: e.quantity, cents: cents(e.line_total) }]] : [],
    record({ units: sum((v: { units: number }) => v.units), cents: sum((v: { cents: number }) => v.cents) }),
  ),
  behaviors: where((e: CommerceEvent) => e.topic === 'user_behavior', groupBy((e: CommerceEvent) => (e.topic === 'user_behavior' ? e.action : ''), count())),
  searches: where((e: CommerceEvent) => e.topic === 'searches', topN((e: CommerceEvent) => (e.topic === 'searches' ? searchTerm(e.query) : ''), () => 1, { n: TOP_SEARCHES, by: 'count' })),
  adds: where((e: CommerceEvent) => e.topic === 'cart_events' && e.action === 'add', count()),
  removes: where((e: CommerceEvent) => e.topic === 'cart_events' && e.action === 'remove', count()),
});
export type CommerceAggregate = ReturnType<typeof aggregate.result>;

/** The window's figures from the aggregate's result (rounded to cents where divided). */
export function commerceFigures(r: CommerceAggregate): CommerceWindowFigures {
  const categories: CommerceWindowFigures['categories'] = {};
  for (const name of Object.keys(r.categories).sort()) {
    const c = r.categories[name]!;
    categories[name] = { units: c.units, revenue: c.cents / 100 };
  }
  const behaviors: Record<string, number> = {};
  for (const name of Object.keys(r.behaviors).sort()) behaviors[name] = r.behaviors[name]!;
  return {
    transactions: r.transactions,
    revenue: r.revenueCents / 100,
    avg_order_value: r.transactions === 0 ? null : Math.round(r.revenueCents / r.transactions) / 100,
    distinct_customers: r.customers,
    categories,
    behaviors,
    top_searches: r.searches.map((s) => ({ query: s.key, count: s.count })),
    cart: { adds: r.adds, removes: r.removes, conversion: r.adds === 0 ? null : Math.round((r.transactions / r.adds) * 10_000) / 10_000 },
  };
}

export interface CommercePipelineOptions {
  outOfOrdernessMs?: number;
  idleTimeoutMs?: number;
}

/** What the pipeline reads: the relay's five topics, merged by event time (ties in this order). */
export const COMMERCE_SOURCE = {
  topics: COMMERCE_TOPICS.map((topic) => ({ topic, codec: commerceSourceCodecs[topic] })) as [SourceTopic<CommerceEvent>, ...SourceTopic<CommerceEvent>[]],
};

/**
 * 30-second tumbling windows on event time (the shop's UTC commit time) with the seed's 10-second
 * watermark, over the relay's five topics; late events go to their topic's `<topic>.late`, counted. Input silent for 40 s closes the
 * open windows: longer than a window, so an idle close (which moves the watermark to the newest
 * window's end) makes no later on-time event late. Updates and commits every 200 ms: a commit in
 * the shop reaches the page within about a second plus the window.
 */
export function commercePipeline(options: CommercePipelineOptions = {}): PipelineSpec<CommerceEvent, CommerceEvent, unknown, CommerceAggregate> {
  return {
    name: 'commerce',
    source: COMMERCE_SOURCE,
    eventTime: (e) => e.timestamp,
    enrich: (e) => e,
    windows: [tumbling(COMMERCE_WINDOW, COMMERCE_WINDOW_MS)],
    aggregate,
    outOfOrdernessMs: options.outOfOrdernessMs ?? COMMERCE_OUT_OF_ORDERNESS_MS,
    idleTimeoutMs: options.idleTimeoutMs ?? 40_000,
    emitIntervalMs: 200,
    checkpointIntervalMs: 200,
    stateVersion: 1,
    output: {
      topic: COMMERCE_WINDOWS_TOPIC,
      format: (r, ctx): CommerceResult => ({ ...resultEnvelope(ctx, r.events), ...commerceFigures(r) }),
    },
  };
}
