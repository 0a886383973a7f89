/**
 * The commerce events as the log holds them: one zod schema a topic (the relay writes each event
 * to its topic, once). The pipeline reads the five topics together; its codecs give each event
 * the `topic` it was read from (`CommerceEvent`). The shapes are the contract's
 * (`commerce-contract.ts`); the checks below keep the two in step.
 */
import { z } from 'zod';
import { jsonCodec, type EventCodec } from '../../events/codec.js';
import { eventTimeMs } from '../../events/event-time.js';
import {
  BEHAVIOR_ACTIONS,
  COMMERCE_TOPICS,
  type CartEvent,
  type CommerceEvent,
  type CommerceTopic,
  type SearchEvent,
  type TransactionEvent,
  type TransactionItemEvent,
  type UserBehaviorEvent,
} from './commerce-contract.js';

/** The window results. (Late events go to their topic's `<topic>.late`, rejected records to `<topic>.dlq`.) */
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

// The schemas and the contract's interfaces describe the same records, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.infer<typeof transactionEventSchema>, TransactionEvent>,
  Same<z.infer<typeof transactionItemEventSchema>, TransactionItemEvent>,
  Same<z.infer<typeof userBehaviorEventSchema>, UserBehaviorEvent>,
  Same<z.infer<typeof searchEventSchema>, SearchEvent>,
  Same<z.infer<typeof cartEventSchema>, CartEvent>,
] = [true, true, true, true, true];
void sameShapes;

/** One topic's codec (a record of `transactions`, `searches` …, without the `topic` field). */
export function topicEventCodec<T extends CommerceTopic>(topic: T): EventCodec<z.infer<(typeof topicEventSchemas)[T]>> {
  return jsonCodec(`${topic} event`, topicEventSchemas[topic] as z.ZodTypeAny) as EventCodec<z.infer<(typeof topicEventSchemas)[T]>>;
}

/**
 * The codec the pipeline reads `topic` with: decode validates the topic's event and adds
 * `topic`; encode writes the record the relay writes (the event without `topic`).
 */
export function commerceSourceCodec(topic: CommerceTopic): EventCodec<CommerceEvent> {
  const codec = topicEventCodec(topic);
  return {
    name: codec.name,
    decode: (value) => Object.assign(codec.decode(value), { topic }) as CommerceEvent,
    encode: (event) => JSON.stringify(eventPayload(event)),
  };
}

export function isCommerceTopic(topic: string): topic is CommerceTopic {
  return (COMMERCE_TOPICS as readonly string[]).includes(topic);
}

/** Each topic's pipeline codec, by topic. */
export const commerceSourceCodecs = Object.fromEntries(COMMERCE_TOPICS.map((t) => [t, commerceSourceCodec(t)])) as Record<CommerceTopic, EventCodec<CommerceEvent>>;

/** The record key of every commerce event: its customer. */
export function commerceKey(event: { customer_id: number }): string {
  return String(event.customer_id);
}

/** The event without its `topic` (what the topic's own record holds, and the warehouse's payload). */
export function eventPayload(event: CommerceEvent): Record<string, unknown> {
  const { topic: _topic, ...rest } = event;
  return rest;
}
