// Parsers of numbers and words given as text (flags, model parameters). Each throws a plain Error
// with a one-line message; the CLI turns it into the flag's error (cli/options.ts forCommander).

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error('expected a positive whole number.');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error('expected a number above 0.');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) throw new Error('expected a number, 0 or more.');
  return n;
}

/** One of a few words. */
export function oneOf<T extends string>(words: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(words as readonly string[]).includes(value)) throw new Error(`expected ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}.`);
    return value as T;
  };
}
