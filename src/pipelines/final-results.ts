import type { z } from 'zod';
import type { LogRecord } from '../log/types.js';
import { MAX_EVENT_TIME_MS } from '../events/event-time.js';
import type { ResultEnvelope } from './pipeline-result.js';

const textDecoder = new TextDecoder();

/** The window of a final result, its times normalised to ISO-8601 UTC. */
export interface FinalWindow {
  window_start: string;
  window_end: string;
}

/**
 * A lake decoder for a pipeline's output topic: the record's row when it is a valid FINAL result
 * of `schema` whose window a lake partition can hold (it starts within the event-time bound, so it
 * ends within four-digit years); null for anything else (open results,
 * other records, malformed JSON), which the sink skips.
 */
export function finalResultRows<R extends ResultEnvelope, Row>(
  schema: z.ZodType<R>,
  toRow: (result: R, window: FinalWindow) => Row,
): (record: LogRecord) => Row | null {
  return (record) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof record.value === 'string' ? record.value : textDecoder.decode(record.value));
    } catch {
      return null;
    }
    const result = schema.safeParse(parsed);
    if (!result.success || !result.data.final) return null;
    const start = Date.parse(result.data.window_start);
    if (!(start >= 0 && start <= MAX_EVENT_TIME_MS)) return null;
    return toRow(result.data, { window_start: new Date(start).toISOString(), window_end: new Date(Date.parse(result.data.window_end)).toISOString() });
  };
}
