import type { EventLog, LogValue } from '../log/types.js';
import type { OperatorSnapshot } from './window-operator.js';
import { formatDuration } from '../util/duration.js';
import { StreamrecError } from '../util/errors.js';

/** Checkpoints live in the log's state store under this namespace, keyed by pipeline name. */
export const CHECKPOINT_NAMESPACE = 'pipeline-checkpoint';

export interface Checkpoint {
  fingerprint: Record<string, unknown>;
  /**
   * Next offset to process, per source partition: for several source topics, topic by topic in
   * the source's order (see `SourceLayout`).
   */
  positions: number[];
  /** Several source topics: the partitions of each (one topic: `positions.length`, not written). */
  partitions?: number[];
  operator: OperatorSnapshot;
  deadLettered: number;
  writtenAt: string;
}

/** A stored checkpoint the pipeline's definition no longer matches: the user resets or keeps the old definition. */
export class CheckpointMismatchError extends StreamrecError {
  override name = 'CheckpointMismatchError';
  constructor(message: string) {
    super(message, { code: 'checkpoint-mismatch', status: 500 });
  }
}

export async function loadCheckpoint(log: EventLog, pipeline: string): Promise<Checkpoint | null> {
  return parseState<Checkpoint>(await log.getState(CHECKPOINT_NAMESPACE, pipeline));
}

/** A JSON state value as stored (null: none). */
export function parseState<T>(raw: LogValue | null): T | null {
  if (raw === null) return null;
  return JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8')) as T;
}

export function encodeCheckpoint(checkpoint: Checkpoint): LogValue {
  return JSON.stringify(checkpoint);
}

/**
 * How a fingerprint key is named to the user. Keys keep their first names so that checkpoints
 * written before a rename still match (`allowedLatenessMs` is the `--out-of-orderness` option).
 */
const FINGERPRINT_LABELS: Record<string, { name: string; format?: (value: unknown) => string }> = {
  allowedLatenessMs: { name: 'out-of-orderness', format: (v) => (typeof v === 'number' ? formatDuration(v) : JSON.stringify(v)) },
};

/**
 * Refuses a checkpoint written by an incompatible definition, saying what changed and how to
 * start over — never resumes from state it would misread.
 */
export function assertCompatible(pipeline: string, stored: Record<string, unknown>, current: Record<string, unknown>): void {
  const keys = new Set([...Object.keys(stored), ...Object.keys(current)]);
  const changes: string[] = [];
  for (const k of keys) {
    const a = JSON.stringify(stored[k]);
    const b = JSON.stringify(current[k]);
    if (a === b) continue;
    const label = FINGERPRINT_LABELS[k];
    const show = (json: string | undefined, value: unknown) => (json === undefined ? 'unset' : label?.format ? label.format(value) : json);
    changes.push(`${label?.name ?? k} was ${show(a, stored[k])}, is now ${show(b, current[k])}`);
  }
  if (changes.length > 0) {
    throw new CheckpointMismatchError(
      `the checkpoint of pipeline ${pipeline} was written by a different definition (${changes.join('; ')}). ` +
        `Run \`streamrec reset ${pipeline}\` to drop it and reprocess from the earliest offset.`,
    );
  }
}
