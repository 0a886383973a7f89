/**
 * The materialised view of the coordination log: keyed state, group offsets, idempotent
 * producers' last sequences and the decision of every transaction that wrote outputs. `apply` is
 * deterministic — the same records in the same order give the same view in every process — which
 * is what makes a transaction's fate (committed, or fenced) the same for every reader.
 */
import {
  decodeRecord,
  fromWire,
  type CoordinationRecord,
  type GroupCommitOp,
  type SequenceOp,
  type StateOp,
  type TxRecord,
} from './coordination-record.js';
import type { LogValue } from '../types.js';

export type TxOutcome =
  | { state: 'committed'; offset: number; duplicates: Set<string> | null }
  | { state: 'fenced'; offset: number; namespace: string; key: string }
  | { state: 'aborted'; offset: number };

/** Key of one record an idempotent producer sent twice: hidden even though its tx committed. */
export function duplicateKey(topic: string, partition: number, sequence: number): string {
  return `${topic}\u0000${partition}\u0000${sequence}`;
}

function sameValue(a: LogValue | null, b: LogValue | null): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}

export class CoordinationView {
  /** The offset of the next coordination record to apply. */
  next = 0;
  private readonly state = new Map<string, LogValue>();
  /** group → topic → partition → committed next offset. */
  private readonly offsets = new Map<string, Map<string, Map<number, number>>>();
  private readonly sequences = new Map<string, number>();
  /** Decisions of transactions that wrote outputs (and of those a committer waits for). */
  private readonly outcomes = new Map<string, TxOutcome>();
  private readonly chunks = new Map<string, string[]>();
  /** Transactions this process committed and waits on: their outcome is kept even without outputs. */
  private readonly watched = new Set<string>();

  /** Applies the record stored at `offset` (its text as stored). */
  apply(offset: number, text: string): void {
    this.next = offset + 1;
    const record = decodeRecord(text, offset);
    if (record.t === 'chunk') {
      const parts = this.chunks.get(record.id) ?? new Array<string>(record.n);
      parts[record.i] = record.data;
      this.chunks.set(record.id, parts);
      if (parts.filter((p) => p !== undefined).length < record.n) return;
      this.chunks.delete(record.id);
      this.applyWhole(offset, decodeRecord(parts.join(''), offset));
      return;
    }
    this.applyWhole(offset, record);
  }

  private applyWhole(offset: number, record: CoordinationRecord): void {
    switch (record.t) {
      case 'tx':
        return this.decide(offset, record);
      case 'abort':
        if (!this.outcomes.has(record.id)) this.outcomes.set(record.id, { state: 'aborted', offset });
        return;
      case 'offsets':
        return this.commit(record);
      case 'delete-group':
        this.offsets.delete(record.group);
        return;
      case 'delete-topic':
        for (const topics of this.offsets.values()) topics.delete(record.topic);
        for (const k of [...this.sequences.keys()]) if (k.split('\u0000')[1] === record.topic) this.sequences.delete(k);
        return;
      case 'chunk':
        return;
    }
  }

  /** The first expectation that does not hold in the view as it is now, or null. */
  failedExpectation(expects: readonly StateOp[]): StateOp | null {
    for (const e of expects) {
      if (!sameValue(this.state.get(stateKey(e.ns, e.key)) ?? null, fromWire(e.value))) return e;
    }
    return null;
  }

  private decide(offset: number, tx: TxRecord): void {
    // An abort (the writer timed out) that came first wins.
    if (this.outcomes.has(tx.id)) return;
    const failed = this.failedExpectation(tx.expects);
    if (failed) {
      if (tx.outputs || this.watched.has(tx.id)) this.outcomes.set(tx.id, { state: 'fenced', offset, namespace: failed.ns, key: failed.key });
      return;
    }
    for (const p of tx.puts) {
      const value = fromWire(p.value);
      if (value === null) this.state.delete(stateKey(p.ns, p.key));
      else this.state.set(stateKey(p.ns, p.key), value);
    }
    for (const c of tx.commits) this.commit(c);
    let duplicates: Set<string> | null = null;
    for (const s of tx.sequences) {
      for (const seq of this.acceptSequences(s).duplicates) (duplicates ??= new Set()).add(duplicateKey(s.topic, s.partition, seq));
    }
    // Only outcomes someone will ask for are kept: a lease heartbeat must not grow the view.
    if (tx.outputs || this.watched.has(tx.id)) this.outcomes.set(tx.id, { state: 'committed', offset, duplicates });
  }

  private commit(c: GroupCommitOp): void {
    let topics = this.offsets.get(c.group);
    if (!topics) this.offsets.set(c.group, (topics = new Map()));
    for (const o of c.offsets) {
      let partitions = topics.get(o.topic);
      if (!partitions) topics.set(o.topic, (partitions = new Map()));
      partitions.set(o.partition, o.offset);
    }
  }

  /** Which of the sequences are not above the last stored one (duplicates); the rest move it up. */
  private acceptSequences(s: SequenceOp): { duplicates: number[] } {
    const k = sequenceKey(s.producerId, s.topic, s.partition);
    let highest = this.sequences.get(k) ?? -Infinity;
    const duplicates: number[] = [];
    for (const seq of s.sequences) {
      if (seq <= highest) duplicates.push(seq);
      else highest = seq;
    }
    if (highest !== -Infinity) this.sequences.set(k, highest);
    return { duplicates };
  }

  getState(namespace: string, key: string): LogValue | null {
    return this.state.get(stateKey(namespace, key)) ?? null;
  }

  committed(group: string, topic: string): Map<number, number> {
    return new Map(this.offsets.get(group)?.get(topic) ?? []);
  }

  /** Every committed offset: [group, topic, partition, offset], sorted. */
  allCommitted(): [string, string, number, number][] {
    const out: [string, string, number, number][] = [];
    for (const [group, topics] of this.offsets) {
      for (const [topic, partitions] of topics) for (const [partition, offset] of partitions) out.push([group, topic, partition, offset]);
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  }

  lastSequence(producerId: string, topic: string, partition: number): number | null {
    return this.sequences.get(sequenceKey(producerId, topic, partition)) ?? null;
  }

  outcome(txId: string): TxOutcome | null {
    return this.outcomes.get(txId) ?? null;
  }

  /** Keeps the outcome of `txId` when it is decided (its committer will ask). */
  watch(txId: string): void {
    this.watched.add(txId);
  }

  /** The committer has read the outcome: keep it only if consumers need it to filter outputs. */
  unwatch(txId: string, outputs: boolean): void {
    this.watched.delete(txId);
    if (!outputs) this.outcomes.delete(txId);
  }
}

function stateKey(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

function sequenceKey(producerId: string, topic: string, partition: number): string {
  return `${producerId}\u0000${topic}\u0000${partition}`;
}
