/**
 * The commerce pipeline's shapes: the events the relay writes to the log (one topic each, keyed
 * by customer id), the 30-second window result, and what the routes and the SSE stream answer.
 * Shared by the relay, the pipeline, the sinks, the server and the Commerce page (which imports
 * these types only). No imports here, so the browser build can check it.
 */

/** The log topics the relay writes, each event once; the pipeline reads them all, merged by event time in this order. */
export const COMMERCE_TOPICS = ['transactions', 'transaction_items', 'user_behavior', 'searches', 'cart_events'] as const;
export type CommerceTopic = (typeof COMMERCE_TOPICS)[number];

/** Every event: its outbox row id (`event_id`), the customer, and the event time (epoch ms, UTC). */
export interface CommerceEventBase {
  event_id: number;
  customer_id: number;
  timestamp: number;
}

export interface TransactionEvent extends CommerceEventBase {
  transaction_id: number;
  /** Sum of the items' line totals, in the shop's currency. */
  total: number;
  items_count: number;
  payment_method: string;
}

/** One line of a transaction, enriched with the product's name, category and price. */
export interface TransactionItemEvent extends CommerceEventBase {
  transaction_id: number;
  product_id: number;
  product_name: string;
  category: string;
  unit_price: number;
  quantity: number;
  line_total: number;
}

export const BEHAVIOR_ACTIONS = ['page_view', 'product_view', 'add_to_cart', 'remove_from_cart', 'search'] as const;
export type BehaviorAction = (typeof BEHAVIOR_ACTIONS)[number];

export interface UserBehaviorEvent extends CommerceEventBase {
  action: BehaviorAction;
  product_id: number | null;
  page: string | null;
}

export interface SearchEvent extends CommerceEventBase {
  query: string;
  results_count: number;
}

export interface CartEvent extends CommerceEventBase {
  action: 'add' | 'remove';
  product_id: number;
  quantity: number;
}

/** An event as the pipeline reads it: with the topic it was written to. */
export type CommerceEvent =
  | ({ topic: 'transactions' } & TransactionEvent)
  | ({ topic: 'transaction_items' } & TransactionItemEvent)
  | ({ topic: 'user_behavior' } & UserBehaviorEvent)
  | ({ topic: 'searches' } & SearchEvent)
  | ({ topic: 'cart_events' } & CartEvent);

/** One 30-second window's figures (the fields beside the engine's result envelope). */
export interface CommerceWindowFigures {
  transactions: number;
  revenue: number;
  /** revenue / transactions; null without transactions. */
  avg_order_value: number | null;
  /** Customers with any event in the window. */
  distinct_customers: number;
  /** By product category: units sold and revenue (from transaction_items). */
  categories: Record<string, { units: number; revenue: number }>;
  /** user_behavior events by action. */
  behaviors: Record<string, number>;
  /** The most frequent search queries, most first (ties by query). */
  top_searches: { query: string; count: number }[];
  cart: {
    adds: number;
    removes: number;
    /** transactions / adds; null without adds. */
    conversion: number | null;
  };
}

/** `GET /commerce/summary`: the latest window (open or final) and totals since the server started following. */
export interface CommerceSummary {
  window_start: string;
  window_end: string;
  final: boolean;
  figures: CommerceWindowFigures;
  totals: { transactions: number; revenue: number };
  updated_at: string;
}

/** One row of `GET /commerce/orders`: a recent transaction. */
export interface RecentOrder {
  transaction_id: number;
  customer_id: number;
  total: number;
  items_count: number;
  timestamp: string;
}

/** One window's result as the routes serve it: the window, whether it is final, and its figures. */
export interface CommerceWindow extends CommerceWindowFigures {
  window_start: string;
  window_end: string;
  final: boolean;
  /** Events of every topic in the window (items counted one by one). */
  count: number;
  /** Late events attributed to this window (counted, kept in its topic's `<topic>.late`, not in the figures). */
  late_events: number;
}

/** `GET /commerce/history?limit=`: the newest result of each recent window, oldest first (newest last). */
export interface CommerceHistory {
  items: CommerceWindow[];
}

/** `GET /commerce/categories`: the latest window's categories, by revenue (then name). */
export interface CommerceCategories {
  window_start: string | null;
  window_end: string | null;
  categories: { category: string; units: number; revenue: number }[];
}

/** `GET /commerce/orders?limit=`: the newest transactions first. */
export interface CommerceOrders {
  orders: RecentOrder[];
}

/** What `/commerce/health` adds to the pipeline's health: PostgreSQL and Redis, `'not configured'`, `'ok'` or the error. */
export interface CommerceServicesHealth {
  postgres: string;
  redis: string;
  /** Where `realtime_events` is: PostgreSQL's table, or the lake's `commerce_raw` without PostgreSQL. */
  warehouse: 'postgres' | 'lake';
}

/**
 * `GET /commerce/stream` (Server-Sent Events, `id:` on each): event `snapshot` (this) at once, then
 * event `summary` (`CommerceStreamSummary`) on each change, at most every 200 ms.
 */
export interface CommerceStreamSnapshot {
  /** null before the first window result. */
  summary: CommerceSummary | null;
  /** The newest result of each of the last 20 windows, oldest first. */
  history: CommerceWindow[];
  /** The 10 newest transactions, newest first. */
  orders: RecentOrder[];
}

/** The `summary` event of `/commerce/stream`: the summary (as `/commerce/summary`) and the 10 newest orders, newest first. */
export interface CommerceStreamSummary extends CommerceSummary {
  orders: RecentOrder[];
}
