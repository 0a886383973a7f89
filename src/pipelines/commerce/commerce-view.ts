import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EventLog } from '../../log/types.js';
import type { PipelineResults } from '../pipeline-declaration.js';
import type { CommerceCategories, CommerceStreamSnapshot, CommerceStreamSummary, CommerceSummary, CommerceWindow, RecentOrder } from './commerce-contract.js';
import { topicEventCodec } from './commerce-events.js';
import type { CommerceResult } from './commerce-pipeline.js';

/** Orders kept in memory (the newest), and what the stream and the summary's totals take. */
export const MAX_ORDERS = 200;
const STREAM_HISTORY = 20;
const STREAM_ORDERS = 10;
/** Windows the totals add up (the server's view keeps up to 1,000 recent windows). */
const TOTALS_WINDOWS = 1000;
const TRANSACTIONS_TOPIC = 'transactions';
const transactionCodec = topicEventCodec('transactions');

export interface CommerceViewOptions {
  results: PipelineResults<CommerceResult>;
  log: EventLog;
  pollTimeoutMs?: number;
}

/** A result record as the routes serve a window. */
export function commerceWindow(r: CommerceResult): CommerceWindow {
  return {
    window_start: r.window_start,
    window_end: r.window_end,
    final: r.final,
    count: r.count,
    late_events: r.late_events,
    transactions: r.transactions,
    revenue: r.revenue,
    avg_order_value: r.avg_order_value,
    distinct_customers: r.distinct_customers,
    categories: r.categories,
    behaviors: r.behaviors,
    top_searches: r.top_searches,
    cart: r.cart,
  };
}

/**
 * The commerce pipeline as the routes serve it: the windows come from the server's view of
 * `commerce.windows` (the newest result of each window, open or final); the recent orders from
 * the tail of the `transactions` topic, followed. `version` moves on every change of either.
 */
export class CommerceView {
  private orderList: RecentOrder[] = [];
  private listeners: (() => void)[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;
  private ordersVersion = 0;

  constructor(private readonly options: CommerceViewOptions) {
    options.results.onResult(() => this.changed());
  }

  get version(): number {
    return this.options.results.version * 1_000_003 + this.ordersVersion;
  }

  start(): void {
    this.loop ??= this.followOrders().catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The newest result of each recent window, oldest first. */
  history(limit: number): CommerceWindow[] {
    return this.options.results.recent(limit).map(commerceWindow);
  }

  /** The latest window (open or final) and the totals of the windows held; null before any result. */
  summary(): CommerceSummary | null {
    const recent = this.options.results.recent(TOTALS_WINDOWS);
    const latest = recent.at(-1);
    if (!latest) return null;
    let transactions = 0;
    let cents = 0;
    let updatedAt = latest.processing_time;
    for (const r of recent) {
      transactions += r.transactions;
      cents += Math.round(r.revenue * 100);
      if (r.processing_time > updatedAt) updatedAt = r.processing_time;
    }
    const { window_start, window_end, final, ...rest } = commerceWindow(latest);
    const { count: _count, late_events: _late, ...figures } = rest;
    return { window_start, window_end, final, figures, totals: { transactions, revenue: cents / 100 }, updated_at: updatedAt };
  }

  categories(): CommerceCategories {
    const latest = this.options.results.recent(1).at(-1);
    if (!latest) return { window_start: null, window_end: null, categories: [] };
    const categories = Object.entries(latest.categories)
      .map(([category, c]) => ({ category, units: c.units, revenue: c.revenue }))
      .sort((a, b) => b.revenue - a.revenue || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
    return { window_start: latest.window_start, window_end: latest.window_end, categories };
  }

  /** The newest transactions first, at most `limit`. */
  orders(limit: number): RecentOrder[] {
    return this.orderList.slice(0, limit);
  }

  snapshot(): CommerceStreamSnapshot {
    return { summary: this.summary(), history: this.history(STREAM_HISTORY), orders: this.orders(STREAM_ORDERS) };
  }

  /** The stream's `summary` event: null before the first result. */
  streamSummary(): CommerceStreamSummary | null {
    const summary = this.summary();
    return summary && { ...summary, orders: this.orders(STREAM_ORDERS) };
  }

  /** Adds transactions (exported for tests): kept newest first by time, then transaction id. */
  addOrders(orders: RecentOrder[]): void {
    if (orders.length === 0) return;
    this.orderList = [...orders, ...this.orderList]
      .sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : b.transaction_id - a.transaction_id))
      .slice(0, MAX_ORDERS);
    this.ordersVersion++;
    this.changed();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private async followOrders(): Promise<void> {
    const { log } = this.options;
    // The relay creates the topic with its partitions: wait for it rather than guess them.
    let info = await log.topic(TRANSACTIONS_TOPIC);
    while (!info && !this.stopped) {
      await sleep(500);
      info = await log.topic(TRANSACTIONS_TOPIC);
    }
    if (!info) return;
    const consumer: Consumer = log.consumer({ group: `commerce-view-${process.pid}`, topics: [TRANSACTIONS_TOPIC], from: 'latest' });
    for (const p of info.partitions) consumer.seek(TRANSACTIONS_TOPIC, p.partition, Math.max(p.startOffset, p.endOffset - MAX_ORDERS));
    try {
      while (!this.stopped) {
        let batch;
        try {
          batch = await consumer.poll({ maxRecords: 5000, timeoutMs: this.options.pollTimeoutMs ?? 100 });
        } catch {
          await sleep(200);
          continue;
        }
        const orders: RecentOrder[] = [];
        for (const r of batch) {
          try {
            const t = transactionCodec.decode(r.value);
            orders.push({ transaction_id: t.transaction_id, customer_id: t.customer_id, total: t.total, items_count: t.items_count, timestamp: new Date(t.timestamp).toISOString() });
          } catch {
            // not a transaction: nothing to show
          }
        }
        this.addOrders(orders);
      }
    } finally {
      await consumer.close().catch(() => {});
    }
  }
}
