/**
 * The shop's data, independent of the database: the base data (customers, products with categories
 * and prices, written once), the business writes the generator drafts (a purchase, a behaviour),
 * and the rows and outbox events each write becomes. Outbox payloads are drafted without
 * `event_id` (the outbox row's id, which the store puts in front as it inserts); transaction items carry the
 * product's name, category and price as they were when the order was written.
 */
import { Random } from '../../../util/random.js';
import type { BehaviorAction, CommerceTopic } from '../commerce-contract.js';

export const CATEGORIES = ['electronics', 'books', 'clothing', 'home', 'sports', 'beauty', 'toys', 'grocery'] as const;
const NOUNS: Record<(typeof CATEGORIES)[number], string[]> = {
  electronics: ['Headphones', 'Charger', 'Keyboard', 'Monitor', 'Speaker', 'Webcam', 'Mouse'],
  books: ['Novel', 'Cookbook', 'Atlas', 'Biography', 'Comic', 'Guide'],
  clothing: ['T-shirt', 'Jacket', 'Sneakers', 'Scarf', 'Jeans', 'Cap'],
  home: ['Lamp', 'Mug', 'Pillow', 'Blanket', 'Vase', 'Kettle'],
  sports: ['Yoga Mat', 'Ball', 'Racket', 'Bottle', 'Gloves', 'Rope'],
  beauty: ['Shampoo', 'Lotion', 'Perfume', 'Lipstick', 'Soap'],
  toys: ['Puzzle', 'Robot', 'Blocks', 'Doll', 'Kite'],
  grocery: ['Coffee', 'Tea', 'Chocolate', 'Olive Oil', 'Honey', 'Pasta'],
};
const PRICE_RANGE: Record<(typeof CATEGORIES)[number], [number, number]> = {
  electronics: [15, 600], books: [5, 45], clothing: [8, 150], home: [6, 120],
  sports: [5, 200], beauty: [4, 80], toys: [5, 90], grocery: [2, 30],
};
const ADJECTIVES = ['Classic', 'Premium', 'Eco', 'Smart', 'Compact', 'Deluxe', 'Basic', 'Pro', 'Mini', 'Ultra'];
const CITIES = ['Buenos Aires', 'Córdoba', 'Rosario', 'Mendoza', 'La Plata', 'Salta', 'Madrid', 'Lisbon', 'Paris', 'Berlin'];
const FIRST = ['Ana', 'Luis', 'Sofía', 'Mateo', 'Lucía', 'Nico', 'Valentina', 'Tomás', 'Camila', 'Joaquín', 'Emma', 'Liam'];
const LAST = ['García', 'Fernández', 'López', 'Martínez', 'Pérez', 'Gómez', 'Díaz', 'Romero', 'Sosa', 'Álvarez'];
export const PAYMENT_METHODS = ['credit_card', 'debit_card', 'paypal', 'bank_transfer', 'cash'] as const;
const PAGES = ['/', '/catalog', '/offers', '/cart', '/account', '/help'];
const SEARCH_TERMS = ['headphones', 'laptop', 'coffee', 'running shoes', 'gift', 'lamp', 'yoga', 'novel', 'toys', 'perfume', 'jacket', 'tea', 'charger', 'puzzle', 'backpack'];

export interface Product {
  id: number;
  name: string;
  category: string;
  price: number;
}
export interface Customer {
  id: number;
  name: string;
  email: string;
  city: string;
}

export const BASE_CUSTOMERS = 1000;
export const BASE_PRODUCTS = 200;

/** The base data, the same on every first use (a fixed seed): ids are 1-based. */
export function baseData(): { customers: Customer[]; products: Product[] } {
  const random = new Random(13);
  const products: Product[] = [];
  for (let id = 1; id <= BASE_PRODUCTS; id++) {
    const category = CATEGORIES[(id - 1) % CATEGORIES.length]!;
    const [lo, hi] = PRICE_RANGE[category];
    const price = Math.round((lo + (hi - lo) * random.next() ** 2) * 100) / 100;
    products.push({ id, name: `${random.pick(ADJECTIVES)} ${random.pick(NOUNS[category])} ${id}`, category, price });
  }
  const customers: Customer[] = [];
  for (let id = 1; id <= BASE_CUSTOMERS; id++) {
    const first = random.pick(FIRST);
    const last = random.pick(LAST);
    customers.push({ id, name: `${first} ${last}`, email: `${first.toLowerCase()}.${id}@example.com`, city: random.pick(CITIES) });
  }
  return { customers, products };
}

/** A business write as the generator drafts it, before the database gives it ids. */
export type Draft =
  | { kind: 'purchase'; customerId: number; ts: number; payment: string; items: { product: Product; quantity: number }[] }
  | { kind: 'behavior'; customerId: number; ts: number; action: BehaviorAction; product: Product | null; page: string | null; query: string | null; resultsCount: number; quantity: number };

/** Zipf-like weights: rank r gets 1 / r^s, as a cumulative table for sampling. */
function zipfTable(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) cdf[r - 1] = sum += 1 / r ** s;
  for (let i = 0; i < n; i++) cdf[i]! /= sum;
  return cdf;
}
function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Drafts the shop's traffic: 70 % purchases of 1–5 lines (small baskets likelier), 30 %
 * behaviours (page views, product views, cart adds and removes, searches). Products are
 * Zipf-popular (a shuffled rank order, so popularity is not by id), customers too (repeat buyers).
 */
export class ShopTraffic {
  private readonly random: Random;
  private readonly productCdf: Float64Array;
  private readonly customerCdf: Float64Array;
  private readonly productByRank: Product[];

  constructor(seed: number, products: Product[], private readonly customers: number) {
    this.random = new Random(seed);
    const shuffled = [...products];
    const order = new Random(7);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(order.next() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    this.productByRank = shuffled;
    this.productCdf = zipfTable(products.length, 1.1);
    this.customerCdf = zipfTable(customers, 0.8);
  }

  private product(): Product {
    return this.productByRank[sample(this.productCdf, this.random.next())]!;
  }
  private customer(): number {
    return 1 + sample(this.customerCdf, this.random.next());
  }

  next(ts: number): Draft {
    const r = this.random;
    const customerId = this.customer();
    if (r.next() < 0.7) {
      const u = r.next();
      const lines = u < 0.4 ? 1 : u < 0.7 ? 2 : u < 0.85 ? 3 : u < 0.95 ? 4 : 5;
      const items: { product: Product; quantity: number }[] = [];
      const seen = new Set<number>();
      while (items.length < lines) {
        const product = this.product();
        if (seen.has(product.id)) continue;
        seen.add(product.id);
        items.push({ product, quantity: r.chance(0.8) ? 1 : r.int(2, 4) });
      }
      return { kind: 'purchase', customerId, ts, payment: PAYMENT_METHODS[sample(PAYMENT_CDF, r.next())]!, items };
    }
    const u = r.next();
    const action: BehaviorAction = u < 0.35 ? 'page_view' : u < 0.65 ? 'product_view' : u < 0.8 ? 'add_to_cart' : u < 0.87 ? 'remove_from_cart' : 'search';
    const withProduct = action === 'product_view' || action === 'add_to_cart' || action === 'remove_from_cart';
    return {
      kind: 'behavior', customerId, ts, action,
      product: withProduct ? this.product() : null,
      page: action === 'page_view' ? r.pick(PAGES) : null,
      query: action === 'search' ? r.pick(SEARCH_TERMS) : null,
      resultsCount: action === 'search' ? r.int(0, 120) : 0,
      quantity: action === 'add_to_cart' || action === 'remove_from_cart' ? (r.chance(0.85) ? 1 : r.int(2, 3)) : 0,
    };
  }
}
const PAYMENT_CDF = Float64Array.from([0.45, 0.7, 0.88, 0.96, 1]);

/** An outbox row before the database gives it its id. */
export interface OutboxDraft {
  topic: CommerceTopic;
  customerId: number;
  /** The event as JSON, without `event_id` (it starts with `{"customer_id":`); the store puts the row's id in front. */
  payload: string;
  createdAt: number;
}

/** The rows of each business table a draft writes (column order as in the schema), and its outbox rows. */
export interface DraftRows {
  transaction?: [number, number, number, number, string, number];
  items: [number, number, number, number, number, number][];
  behavior?: [number, string, number | null, string | null, number];
  search?: [number, string, number, number];
  cart?: [number, string, number, number, number];
  outbox: OutboxDraft[];
}

const money = (x: number) => Math.round(x * 100) / 100;

/** The rows a draft becomes; `transactionId` is the id the database gave the purchase (0 for a behaviour). */
export function draftRows(d: Draft, transactionId: number): DraftRows {
  const c = d.customerId;
  if (d.kind === 'purchase') {
    let total = 0;
    let units = 0;
    const items: DraftRows['items'] = [];
    const outbox: OutboxDraft[] = [];
    for (const { product, quantity } of d.items) {
      const lineTotal = money(product.price * quantity);
      total += lineTotal;
      units += quantity;
      items.push([transactionId, product.id, quantity, product.price, lineTotal, d.ts]);
    }
    total = money(total);
    outbox.push({
      topic: 'transactions', customerId: c, createdAt: d.ts,
      payload: JSON.stringify({ customer_id: c, timestamp: d.ts, transaction_id: transactionId, total, items_count: units, payment_method: d.payment }),
    });
    for (const { product, quantity } of d.items) {
      outbox.push({
        topic: 'transaction_items', customerId: c, createdAt: d.ts,
        payload: JSON.stringify({
          customer_id: c, timestamp: d.ts, transaction_id: transactionId, product_id: product.id, product_name: product.name,
          category: product.category, unit_price: product.price, quantity, line_total: money(product.price * quantity),
        }),
      });
    }
    return { transaction: [transactionId, c, total, units, d.payment, d.ts], items, outbox };
  }
  const productId = d.product?.id ?? null;
  const rows: DraftRows = { items: [], outbox: [], behavior: [c, d.action, productId, d.page, d.ts] };
  rows.outbox.push({
    topic: 'user_behavior', customerId: c, createdAt: d.ts,
    payload: JSON.stringify({ customer_id: c, timestamp: d.ts, action: d.action, product_id: productId, page: d.page }),
  });
  if (d.action === 'search') {
    rows.search = [c, d.query!, d.resultsCount, d.ts];
    rows.outbox.push({ topic: 'searches', customerId: c, createdAt: d.ts, payload: JSON.stringify({ customer_id: c, timestamp: d.ts, query: d.query, results_count: d.resultsCount }) });
  } else if (d.action === 'add_to_cart' || d.action === 'remove_from_cart') {
    const action = d.action === 'add_to_cart' ? 'add' : 'remove';
    rows.cart = [c, action, productId!, d.quantity, d.ts];
    rows.outbox.push({ topic: 'cart_events', customerId: c, createdAt: d.ts, payload: JSON.stringify({ customer_id: c, timestamp: d.ts, action, product_id: productId, quantity: d.quantity }) });
  }
  return rows;
}
