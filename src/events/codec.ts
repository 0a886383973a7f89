import type { z } from 'zod';
import type { LogRecord, LogValue } from '../log/types.js';
import { StreamrecError } from '../util/errors.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A typed event schema: how records of one topic are read and written. */
export interface EventCodec<T> {
  readonly name: string;
  decode(value: LogValue): T;
  encode(event: T): string;
}

export interface JsonCodecOptions<T> {
  /**
   * A hand-written check that accepts exactly what the schema accepts, for hot paths: when it
   * passes, the parsed value is used as is; when it fails, the schema decides and words the error.
   */
  fastCheck?: (value: unknown) => value is T;
  /**
   * A parser for the one exact text form producers write, tried before JSON.parse: it returns the
   * event only when the text is that form and valid, otherwise null (then the general path runs).
   */
  fastParse?: (text: string) => T | null;
}

/** An EventCodec for JSON events validated by a zod schema. */
export function jsonCodec<S extends z.ZodType>(name: string, schema: S, options: JsonCodecOptions<z.infer<S>> = {}): EventCodec<z.infer<S>> {
  const { fastCheck, fastParse } = options;
  return {
    name,
    decode(value) {
      const text = typeof value === 'string' ? value : decoder.decode(value);
      const fast = fastParse?.(text);
      if (fast) return fast;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new DecodeError(`not valid JSON: ${(err as Error).message}`);
      }
      if (fastCheck?.(parsed)) return parsed;
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

/** A record that is not a valid event of its codec (code `bad-event`): says which field and why. */
export class DecodeError extends StreamrecError {
  override name = 'DecodeError';
  constructor(message: string) {
    super(message, { code: 'bad-event', status: 400 });
  }
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
      out.rejected.push({ record, reason: rejectionReason(codec.name, err) });
    }
  }
  return out;
}

/** Why a record was rejected, as the dead-letter header says it: `<codec> <reason>`. */
export function rejectionReason(codecName: string, err: unknown): string {
  const reason = err instanceof DecodeError ? err.message : `invalid encoding: ${(err as Error).message}`;
  return `${codecName} ${reason}`;
}
