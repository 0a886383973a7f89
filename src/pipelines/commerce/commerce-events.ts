/**
 * The commerce events as the log holds them: one zod schema a topic (the relay writes each event
 * to its topic), and the union on `commerce.events` — the event plus the `topic` it was written
 * to — which is the pipeline's one source. The shapes are the contract's (`commerce-contract.ts`);
 * the `satisfies` checks below keep the two in step.
 */
import { z } from 'zod';
import { jsonCodec, type EventCodec } from '../../events/codec.js';
import { eventTimeMs } from '../../events/event-time.js';
import {
  BEHAVIOR_ACTIONS,
  COMMERCE_EVENTS_TOPIC,
  type CartEvent,
  type CommerceEvent,
  type CommerceTopic,
  type SearchEvent,
  type TransactionEvent,
  type TransactionItemEvent,
  type UserBehaviorEvent,
} from './commerce-contract.js';

export { COMMERCE_EVENTS_TOPIC };
/** Where late events go (the engine's `<source>.late`), and the window results. */
export const COMMERCE_LATE_TOPIC = `${COMMERCE_EVENTS_TOPIC}.late`;
export const COMMERCE_WINDOWS_TOPIC = 'commerce.windows';

const id = z.number().int().nonnegative();
/**
 * The largest amount an event may carry: windows sum amounts in whole cents, and a bound keeps
 * every sum finite (an amount near the double's limit made the revenue Infinity, written as null,
 * and the window's result invalid).
 */
export const MAX_AMOUNT = 1_000_000_000;
const money = z
  .number()
  .finite()
  .min(-MAX_AMOUNT, { message: `must be an amount from -${MAX_AMOUNT} to ${MAX_AMOUNT}` })
  .max(MAX_AMOUNT, { message: `must be an amount from -${MAX_AMOUNT} to ${MAX_AMOUNT}` });
const base = { event_id: id, customer_id: id, timestamp: eventTimeMs };

export const transactionEventSchema = z.object({ ...base, transaction_id: id, total: money, items_count: z.number().int().nonnegative(), payment_method: z.string() });
export const transactionItemEventSchema = z.object({
  ...base,
  transaction_id: id,
  product_id: id,
  product_name: z.string(),
  // Categories become keys of each window's `categories` object, where "__proto__" would be dropped on read.
  category: z.string().refine((c) => c !== '__proto__', { message: 'cannot be "__proto__" (it names a key of the window\'s categories)' }),
  unit_price: money,
  quantity: z.number().int(),
  line_total: money,
});
export const userBehaviorEventSchema = z.object({ ...base, action: z.enum(BEHAVIOR_ACTIONS), product_id: id.nullable(), page: z.string().nullable() });
export const searchEventSchema = z.object({ ...base, query: z.string(), results_count: z.number().int().nonnegative() });
export const cartEventSchema = z.object({ ...base, action: z.enum(['add', 'remove']), product_id: id, quantity: z.number().int() });

/** Each topic's event schema (what the relay writes to that topic). */
export const topicEventSchemas = {
  transactions: transactionEventSchema,
  transaction_items: transactionItemEventSchema,
  user_behavior: userBehaviorEventSchema,
  searches: searchEventSchema,
  cart_events: cartEventSchema,
} as const satisfies Record<CommerceTopic, z.ZodTypeAny>;

/** A record of `commerce.events`: the event and its topic. */
export const commerceEventSchema = z.discriminatedUnion('topic', [
  transactionEventSchema.extend({ topic: z.literal('transactions') }),
  transactionItemEventSchema.extend({ topic: z.literal('transaction_items') }),
  userBehaviorEventSchema.extend({ topic: z.literal('user_behavior') }),
  searchEventSchema.extend({ topic: z.literal('searches') }),
  cartEventSchema.extend({ topic: z.literal('cart_events') }),
]);

// The schemas and the contract's interfaces describe the same records, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.infer<typeof transactionEventSchema>, TransactionEvent>,
  Same<z.infer<typeof transactionItemEventSchema>, TransactionItemEvent>,
  Same<z.infer<typeof userBehaviorEventSchema>, UserBehaviorEvent>,
  Same<z.infer<typeof searchEventSchema>, SearchEvent>,
  Same<z.infer<typeof cartEventSchema>, CartEvent>,
  Same<z.infer<typeof commerceEventSchema>, CommerceEvent>,
] = [true, true, true, true, true, true];
void sameShapes;

/** The `commerce.events` codec (decode validates; encode is JSON.stringify). */
export const commerceEventCodec: EventCodec<CommerceEvent> = jsonCodec('commerce event', commerceEventSchema);

/** One topic's codec (a record of `transactions`, `searches` …, without the `topic` field). */
export function topicEventCodec<T extends CommerceTopic>(topic: T): EventCodec<z.infer<(typeof topicEventSchemas)[T]>> {
  return jsonCodec(`${topic} event`, topicEventSchemas[topic] as z.ZodTypeAny) as EventCodec<z.infer<(typeof topicEventSchemas)[T]>>;
}

/** The record key of every commerce event: its customer. */
export function commerceKey(event: { customer_id: number }): string {
  return String(event.customer_id);
}

/** The event without its `topic` (what the topic's own record holds, and the warehouse's payload). */
export function eventPayload(event: CommerceEvent): Record<string, unknown> {
  const { topic: _topic, ...rest } = event;
  return rest;
}
