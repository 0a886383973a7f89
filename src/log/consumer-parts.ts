/** Small rules every adapter's consumer shares, so they say the same things the same way. */
import { LogError, type ConsumerOptions, type StartPosition } from './types.js';

/** The key of a topic partition in a consumer's assignment map. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function checkSeekOffset(offset: number): void {
  if (!Number.isInteger(offset) || offset < 0) throw new LogError(`seek: offset must be a non-negative integer, got ${offset}`);
}

export function notAssignedError(topic: string, partition: number): LogError {
  return new LogError(`seek: ${topic}[${partition}] is not assigned to this consumer`);
}

export function closedConsumerError(group: string): LogError {
  return new LogError(`consumer of group ${group} is closed`);
}

/** A partition a consumer reads, and the next offset it reads there. */
export interface AssignedPartition {
  topic: string;
  partition: number;
  position: number;
}

/**
 * Where a consumer starts on a partition: `from` as given, or for `committed` the group's commit,
 * else `resetTo` (a group that never committed there).
 */
export function startPosition(
  from: StartPosition,
  resetTo: 'earliest' | 'latest',
  committed: number | undefined,
  offsets: { start: number; end: number },
): number {
  const mode = from === 'committed' ? (committed !== undefined ? 'committed' : resetTo) : from;
  return mode === 'committed' ? committed! : mode === 'earliest' ? offsets.start : offsets.end;
}

/** A consumer's options checked, with their defaults: start from the group's commit, else the earliest offset. */
export function consumerSettings(options: ConsumerOptions): { group: string; from: StartPosition; resetTo: 'earliest' | 'latest' } {
  if (!options.group) throw new LogError('a consumer needs a group id');
  if (options.topics.length === 0) throw new LogError('a consumer needs at least one topic');
  return { group: options.group, from: options.from ?? 'committed', resetTo: options.resetTo ?? 'earliest' };
}
