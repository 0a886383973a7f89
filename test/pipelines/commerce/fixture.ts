/**
 * Commerce events for the tests, written straight to their topics (no shop, no relay): a
 * seeded mix of transactions with their items (sharing the transaction's event_id and time),
 * behaviours, searches and cart events, keyed by customer; times mostly increasing with a few
 * seconds of disorder, and, when asked, some events far behind (late).
 */
import { COMMERCE_TOPICS, type CommerceEvent } from '../../../src/pipelines/commerce/commerce-contract.js';
import { commerceKey, commerceSourceCodecs } from '../../../src/pipelines/commerce/commerce-events.js';
import type { EventLog } from '../../../src/log/types.js';

const CATEGORIES = ['Electronics', 'Books', 'Home', 'Toys', 'Sports'];
const QUERIES = ['iPhone 15', 'iphone 15 ', 'laptop', 'headphones', 'lego', 'running shoes', 'kindle'];
const ACTIONS = ['page_view', 'product_view', 'add_to_cart', 'remove_from_cart', 'search'] as const;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FixtureOptions {
  seed: number;
  /** Business events (a transaction with its items is one). */
  n: number;
  start: number;
  /** Event time advanced per business event, ms. */
  stepMs: number;
  /** Every `lateEvery`-th business event is stamped this far behind the newest (0: none). */
  lateEvery?: number;
  lateByMs?: number;
}

/** The events in the order they are written. */
export function commerceFixture(o: FixtureOptions): CommerceEvent[] {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: CommerceEvent[] = [];
  let id = 1;
  let txId = 1;
  let clock = o.start;
  for (let i = 0; i < o.n; i++) {
    clock += o.stepMs;
    const late = o.lateEvery !== undefined && o.lateEvery > 0 && i > 50 && i % o.lateEvery === 0;
    // Up to 4 s of disorder (well inside the 10 s out-of-orderness), or far behind when late.
    const timestamp = late ? clock - (o.lateByMs ?? 60_000) : clock - Math.floor(rnd() * 4000);
    const customer_id = 1 + Math.floor(rnd() * rnd() * 40);
    const event_id = id++;
    const r = rnd();
    if (r < 0.45) {
      const transaction_id = txId++;
      const items = 1 + Math.floor(rnd() * 5);
      const lines: CommerceEvent[] = [];
      let total = 0;
      for (let k = 0; k < items; k++) {
        const unit_price = Math.round((1 + rnd() * 300) * 100) / 100;
        const quantity = 1 + Math.floor(rnd() * 3);
        const line_total = Math.round(unit_price * quantity * 100) / 100;
        total += line_total;
        const product_id = 1 + Math.floor(rnd() * 200);
        lines.push({ topic: 'transaction_items', event_id, customer_id, timestamp, transaction_id, product_id, product_name: `Product ${product_id}`, category: pick(CATEGORIES), unit_price, quantity, line_total });
      }
      out.push({ topic: 'transactions', event_id, customer_id, timestamp, transaction_id, total: Math.round(total * 100) / 100, items_count: items, payment_method: pick(['card', 'paypal']) }, ...lines);
    } else if (r < 0.7) {
      const action = pick(ACTIONS);
      out.push({ topic: 'user_behavior', event_id, customer_id, timestamp, action, product_id: action === 'page_view' ? null : 1 + Math.floor(rnd() * 200), page: action === 'page_view' ? '/home' : null });
    } else if (r < 0.85) {
      out.push({ topic: 'searches', event_id, customer_id, timestamp, query: pick(QUERIES), results_count: Math.floor(rnd() * 50) });
    } else {
      out.push({ topic: 'cart_events', event_id, customer_id, timestamp, action: rnd() < 0.7 ? 'add' : 'remove', product_id: 1 + Math.floor(rnd() * 200), quantity: 1 + Math.floor(rnd() * 2) });
    }
  }
  return out;
}

/** Appends each event to its topic (the five created with `partitions`), keyed by customer, as the relay writes them. */
export async function writeCommerceEvents(log: EventLog, events: CommerceEvent[], partitions = 2): Promise<void> {
  for (const topic of COMMERCE_TOPICS) await log.ensureTopic(topic, { partitions });
  const producer = log.producer();
  for (let i = 0; i < events.length; i += 1000) {
    for (const topic of COMMERCE_TOPICS) {
      const records = events
        .slice(i, i + 1000)
        .filter((e) => e.topic === topic)
        .map((e) => ({ key: commerceKey(e), value: commerceSourceCodecs[topic].encode(e), timestamp: e.timestamp }));
      if (records.length > 0) await producer.send(topic, records);
    }
  }
  await producer.close();
}
