import type { z } from 'zod';
import type { LogRecord, LogValue } from '../log/types.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A typed event schema: how records of one topic are read and written. */
export interface EventCodec<T> {
  readonly name: string;
  decode(value: LogValue): T;
  encode(event: T): string;
}

/** An EventCodec for JSON events validated by a zod schema. */
export function jsonCodec<S extends z.ZodType>(name: string, schema: S): EventCodec<z.infer<S>> {
  return {
    name,
    decode(value) {
      const text = typeof value === 'string' ? value : decoder.decode(value);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new DecodeError(`not valid JSON: ${(err as Error).message}`);
      }
      const result = schema.safeParse(parsed);
      if (!result.success) {
        const issue = result.error.issues[0]!;
        const where = issue.path.length > 0 ? issue.path.join('.') : '(event)';
        throw new DecodeError(`${where}: ${issue.message}`);
      }
      return result.data;
    },
    encode: (event) => JSON.stringify(event),
  };
}

export class DecodeError extends Error {
  override name = 'DecodeError';
}

export interface DecodedBatch<T> {
  events: { record: LogRecord; event: T }[];
  rejected: { record: LogRecord; reason: string }[];
}

/** Splits records into decoded events and rejects with their reason; never throws on bad input. */
export function decodeBatch<T>(codec: EventCodec<T>, records: LogRecord[]): DecodedBatch<T> {
  const out: DecodedBatch<T> = { events: [], rejected: [] };
  for (const record of records) {
    try {
      out.events.push({ record, event: codec.decode(record.value) });
    } catch (err) {
      const reason = err instanceof DecodeError ? err.message : `invalid encoding: ${(err as Error).message}`;
      out.rejected.push({ record, reason: `${codec.name} ${reason}` });
    }
  }
  return out;
}
