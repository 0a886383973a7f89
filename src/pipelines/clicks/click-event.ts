import { z } from 'zod';
import { jsonCodec } from '../../events/codec.js';
import { eventTimeMs, MAX_EVENT_TIME_MS } from '../../events/event-time.js';
import { BadEventsError } from '../ingest.js';
import { CLICK_TYPES, type ClickType } from './clicks-contract.js';

/** The source topic (the seed's Kafka topic name), the output topic and where late clicks go. */
export const CLICKS_TOPIC = 'clicks';
export const CLICKS_BINS_TOPIC = 'clicks.bins';
export const CLICKS_LATE_TOPIC = 'clicks.late';

/** A click as the log holds it: its type and `ts`, epoch ms, stamped by the server at ingestion. */
export const Click = z.object({ type: z.enum(CLICK_TYPES), ts: eventTimeMs });
export type Click = z.infer<typeof Click>;

/** JSON integers only (no leading zero, which JSON.parse refuses), of at most 15 digits. */
const CLICK_TEXT = /^\{"type":"(cheers|hate)","ts":(0|[1-9]\d{0,14})\}$/;

/** The click codec, with a fast path for the exact text the server and the generator write. */
export const clickCodec = jsonCodec('click', Click, {
  fastParse: (text) => {
    const m = CLICK_TEXT.exec(text);
    if (!m) return null;
    const ts = Number(m[2]);
    return ts <= MAX_EVENT_TIME_MS ? { type: m[1] as ClickType, ts } : null;
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
  // String(): JSON.stringify would show a non-finite number (1e999 in the body) as null. Cut: the message echoes input.
  const text = typeof type === 'number' ? String(type) : JSON.stringify(type);
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  if (!CLICK_TYPES.includes(type as ClickType)) throw new BadEventsError(`unknown click type ${shown} (types: ${CLICK_TYPES.join(', ')})`);
  return { type: type as ClickType, ts: now };
}
