import { z } from 'zod';
import { jsonCodec } from '../../events/codec.js';
import { BadEventsError } from '../ingest.js';
import { CLICK_TYPES, type ClickType } from './clicks-contract.js';

/** The source topic (the seed's Kafka topic name), the output topic and where late clicks go. */
export const CLICKS_TOPIC = 'clicks';
export const CLICKS_BINS_TOPIC = 'clicks.bins';
export const CLICKS_LATE_TOPIC = 'clicks.late';

/** A click as the log holds it: its type and `ts`, epoch ms, stamped by the server at ingestion. */
export const Click = z.object({ type: z.enum(CLICK_TYPES), ts: z.number().int().nonnegative() });
export type Click = z.infer<typeof Click>;

const CLICK_TEXT = /^\{"type":"(cheers|hate)","ts":(\d{1,15})\}$/;

/** The click codec, with a fast path for the exact text the server and the generator write. */
export const clickCodec = jsonCodec('click', Click, {
  fastParse: (text) => {
    const m = CLICK_TEXT.exec(text);
    return m ? { type: m[1] as ClickType, ts: Number(m[2]) } : null;
  },
});

/** Clicks one request may carry, and the largest body (a full batch is about 20 KB). */
export const MAX_CLICKS_PER_REQUEST = 1000;
export const MAX_CLICKS_BODY_BYTES = 64 * 1024;

/** A posted `{"type": …}` → the click to append, stamped `now`; a 400 naming what is wrong otherwise. */
export function stampClick(item: unknown, now: number): Click {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new BadEventsError(`a click is an object like {"type": "cheers"}, got ${Array.isArray(item) ? 'an array' : item === null ? 'null' : typeof item}`);
  }
  const type = (item as { type?: unknown }).type;
  if (type === undefined) throw new BadEventsError(`a click needs a "type" (${CLICK_TYPES.join(' or ')})`);
  if (!CLICK_TYPES.includes(type as ClickType)) throw new BadEventsError(`unknown click type ${JSON.stringify(type)} (types: ${CLICK_TYPES.join(', ')})`);
  return { type: type as ClickType, ts: now };
}
