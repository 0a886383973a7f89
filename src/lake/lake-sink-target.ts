/**
 * Where a lake writer writes and how it knows what it wrote: its table, the topic it follows and
 * the consumer group whose committed offsets say which rows the table holds. Read by
 * `streamrec doctor` to check the table's files against those offsets.
 */
import { LakeSink, type LakeSinkOptions } from './lake-sink.js';
import type { LakeTable } from './lake-table.js';

export interface LakeSinkTarget {
  table: Pick<LakeTable<never>, 'path'>;
  topic: string;
  group: string;
}

/**
 * The target of a writer: what it says through a `target` property when it has one, else a
 * LakeSink's construction options; null for any other writer. (The options are private to
 * LakeSink: once LakeSink exposes `target`, the second branch can go.)
 */
export function lakeSinkTarget(writer: unknown): LakeSinkTarget | null {
  const own = (writer as { target?: Partial<LakeSinkTarget> } | null)?.target;
  if (own?.table?.path !== undefined && typeof own.topic === 'string' && typeof own.group === 'string') {
    return { table: { path: own.table.path }, topic: own.topic, group: own.group };
  }
  if (!(writer instanceof LakeSink)) return null;
  const options = (writer as unknown as { options?: Partial<LakeSinkOptions<unknown>> }).options;
  if (options?.table === undefined || options.topic === undefined || options.group === undefined) return null;
  return { table: { path: options.table.path }, topic: options.topic, group: options.group };
}
