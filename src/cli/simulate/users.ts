import { Random } from '../../util/random.js';

/** An inclusive range of user ids. */
export interface UserRange {
  min: number;
  max: number;
}

/** MovieLens 20M's users, the default known range when the service does not report its own. */
export const DEFAULT_KNOWN_USERS: UserRange = { min: 1, max: 138_493 };
/** The old simulator's new (unknown) users. */
export const DEFAULT_UNKNOWN_USERS: UserRange = { min: 300_000, max: 400_000 };

export interface ChosenUser {
  userId: number;
  /** Drawn from the known range (the service should answer from its model or cache). */
  known: boolean;
}

/** Parses "<min>-<max>" (e.g. 1-138493); `what` names the flag in the error. */
export function parseUserRange(text: string, what: string): UserRange {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!match) throw new RangeError(`${what} expects <min>-<max> such as 1-138493, got ${JSON.stringify(text)}`);
  return checkUserRange({ min: Number(match[1]), max: Number(match[2]) }, what);
}

export function checkUserRange(range: UserRange, what: string): UserRange {
  const { min, max } = range;
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0) throw new RangeError(`${what}: user ids must be whole numbers, 0 or more (got ${min}-${max})`);
  if (min > max) throw new RangeError(`${what}: the range ${min}-${max} is empty (min > max)`);
  return range;
}

/** Unknown users sit above every known id: the old 300,000-400,000 when that is above, else the next 100,000 ids. */
export function defaultUnknownUsers(known: UserRange): UserRange {
  if (known.max < DEFAULT_UNKNOWN_USERS.min) return DEFAULT_UNKNOWN_USERS;
  return { min: known.max + 1, max: known.max + 100_000 };
}

export interface UserChoiceOptions {
  known: UserRange;
  unknown: UserRange;
  /** Share of requests for known users, in [0, 1]. */
  existing: number;
  seed: number;
}

/**
 * Draws the user of each request: with probability `existing` uniformly from the known range,
 * else uniformly from the unknown one. Seeded, so a run can be repeated user for user.
 */
export function userChooser(options: UserChoiceOptions): () => ChosenUser {
  const { known, unknown, existing } = options;
  checkUserChoice(options);
  const random = new Random(options.seed);
  return () => {
    // Two draws per request whatever the share, so runs with different shares stay comparable draw for draw.
    const isKnown = random.next() < existing;
    const range = isKnown ? known : unknown;
    return { userId: random.int(range.min, range.max), known: isKnown };
  };
}

/** Throws a RangeError naming what is wrong: an empty range, a share outside [0, 1], overlapping ranges. */
export function checkUserChoice(options: Omit<UserChoiceOptions, 'seed'>): void {
  const { known, unknown, existing } = options;
  checkUserRange(known, 'known users');
  checkUserRange(unknown, 'unknown users');
  if (!(existing >= 0 && existing <= 1)) throw new RangeError(`the share of known users must be from 0 to 1, got ${existing}`);
  if (existing > 0 && existing < 1 && unknown.min <= known.max && known.min <= unknown.max) {
    throw new RangeError(`unknown users ${unknown.min}-${unknown.max} overlap known users ${known.min}-${known.max}`);
  }
}
