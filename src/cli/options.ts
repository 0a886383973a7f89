import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../util/duration.js';
import { positiveInt as positiveIntText } from '../util/text-parsers.js';

/** A commander argument parser from a text parser: its Error becomes InvalidArgumentError, shown as one line. */
export function forCommander<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** commander argument parsers: each throws InvalidArgumentError, which commander shows as one line. */
export const positiveInt = forCommander(positiveIntText);

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535 (0: any free port).');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number, 0 or more.');
  return n;
}

export function fraction(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1.');
  return n;
}

/** A rate in events per second, or "max" for as fast as the log takes (Infinity). */
export function rate(value: string): number {
  if (value === 'max') return Infinity;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected events per second (> 0) or "max".');
  return n;
}

export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}

/** An ISO-8601 time such as 2025-11-10T00:00:00Z, as epoch ms. */
export function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected an ISO-8601 time such as 2025-11-10T00:00:00Z.');
  return ms;
}
