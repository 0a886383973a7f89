/**
 * The coordination view's contents and their JSON form, written into the coordination log as a
 * snapshot so the records before it can be trimmed (a new process starts from there).
 */
import { fromWire, toWire, type ViewSnapshot, type WireOutcome } from './coordination-record.js';
import type { LogValue } from '../types.js';

export type TxOutcome = (
  | { state: 'committed'; offset: number; duplicates: Set<string> | null }
  | { state: 'fenced'; offset: number; namespace: string; key: string }
  | { state: 'aborted'; offset: number }
) & {
  /** Whether the transaction wrote outputs (readers need its outcome; a snapshot keeps it). */
  outputs: boolean;
};

export interface ViewData {
  state: Map<string, LogValue>;
  /** group → topic → partition → committed next offset. */
  offsets: Map<string, Map<string, Map<number, number>>>;
  sequences: Map<string, number>;
  outcomes: Map<string, TxOutcome>;
  /**
   * Transactions without outputs whose outcome is kept, oldest first: only their committer asks,
   * soon after, so only the last few thousand are kept — enough for a committer whose own record
   * was trimmed behind a snapshot before it read it back.
   */
  recent: string[];
  /** Parts of records still coming in, with the offset of the first part. */
  chunks: Map<string, { first: number; parts: (string | null)[] }>;
}

export function emptyViewData(): ViewData {
  return { state: new Map(), offsets: new Map(), sequences: new Map(), outcomes: new Map(), recent: [], chunks: new Map() };
}

export function toSnapshot(data: ViewData): ViewSnapshot {
  const offsets: ViewSnapshot['offsets'] = [];
  for (const [group, topics] of data.offsets) {
    for (const [topic, partitions] of topics) for (const [partition, offset] of partitions) offsets.push([group, topic, partition, offset]);
  }
  const outcomes: ViewSnapshot['outcomes'] = [];
  for (const [id, o] of data.outcomes) {
    const wire: WireOutcome = o.state === 'committed' ? { state: o.state, offset: o.offset, duplicates: o.duplicates ? [...o.duplicates] : null } : o.state === 'fenced' ? { state: o.state, offset: o.offset, namespace: o.namespace, key: o.key } : { state: o.state, offset: o.offset };
    outcomes.push([id, { ...wire, outputs: o.outputs }]);
  }
  return {
    state: [...data.state].map(([k, v]) => [k, toWire(v)]),
    offsets,
    sequences: [...data.sequences],
    outcomes,
    recent: [...data.recent],
    chunks: [...data.chunks].map(([id, c]) => [id, { first: c.first, parts: [...c.parts] }]),
  };
}

export function fromSnapshot(s: ViewSnapshot): ViewData {
  const data = emptyViewData();
  for (const [k, v] of s.state) data.state.set(k, fromWire(v)!);
  for (const [group, topic, partition, offset] of s.offsets) {
    let topics = data.offsets.get(group);
    if (!topics) data.offsets.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, offset);
  }
  for (const [k, v] of s.sequences) data.sequences.set(k, v);
  for (const [id, o] of s.outcomes) {
    data.outcomes.set(id, o.state === 'committed' ? { ...o, duplicates: o.duplicates ? new Set(o.duplicates) : null } : o);
  }
  data.recent = [...s.recent];
  for (const [id, c] of s.chunks) data.chunks.set(id, { first: c.first, parts: [...c.parts] });
  return data;
}
