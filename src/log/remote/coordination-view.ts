/**
 * The materialised view of the coordination log: keyed state, group offsets, idempotent
 * producers' last sequences and the decision of every transaction that wrote outputs (and of the
 * last few thousand that did not). `apply` is
 * deterministic — the same records in the same order give the same view in every process — which
 * is what makes a transaction's fate (committed, or fenced) the same for every reader.
 */
import { decodeRecord, fromWire, type CoordinationRecord, type GroupCommitOp, type SequenceOp, type StateOp, type TxRecord } from './coordination-record.js';
import { emptyViewData, fromSnapshot, toSnapshot, type TxOutcome, type ViewData } from './view-snapshot.js';
import { LogError, type LogValue } from '../types.js';

export type { TxOutcome } from './view-snapshot.js';

/** Outcomes of transactions without outputs kept (see `keep`). */
const RECENT_OUTCOMES = 4096;

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
  /** Where the last valid snapshot starts (what may be trimmed below). */
  snapshotAt = 0;
  private data: ViewData = emptyViewData();
  /** Transactions this process committed and waits on: their outcomes are never dropped. */
  private readonly watched = new Set<string>();

  /**
   * Applies the record stored at `offset` (its text as stored). A gap (the log was trimmed past
   * `next`) is allowed only where a snapshot starts: it replaces everything before it.
   */
  apply(offset: number, text: string): void {
    const record = decodeRecord(text, offset);
    if (offset > this.next && !(record.t === 'snapshot' || (record.t === 'chunk' && record.i === 0 && record.of === 'snapshot'))) {
      throw new LogError(`coordination log was trimmed past offset ${this.next} (found ${offset}) without a snapshot there: its records must be kept`);
    }
    this.next = offset + 1;
    if (record.t !== 'chunk') return this.applyWhole(offset, offset, record);
    let pending = this.data.chunks.get(record.id);
    if (!pending) this.data.chunks.set(record.id, (pending = { first: offset, parts: new Array<string | null>(record.n).fill(null) }));
    if (record.i === 0) pending.first = offset;
    pending.parts[record.i] = record.data;
    if (pending.parts.some((p) => p === null)) return;
    this.data.chunks.delete(record.id);
    // Back to back: the first chunk is n − 1 records before the last one.
    const first = offset - pending.first === record.n - 1 ? pending.first : -1;
    this.applyWhole(first, offset, decodeRecord(pending.parts.join(''), offset));
  }

  /** `first`: where the record's first part is (−1 when its parts are not back to back). */
  private applyWhole(first: number, offset: number, record: CoordinationRecord): void {
    switch (record.t) {
      case 'tx':
        return this.decide(offset, record);
      case 'abort':
        if (!this.data.outcomes.has(record.id)) this.data.outcomes.set(record.id, { state: 'aborted', offset, outputs: true });
        return;
      case 'offsets':
        return this.commit(record);
      case 'delete-group':
        this.data.offsets.delete(record.group);
        return;
      case 'delete-topic':
        for (const topics of this.data.offsets.values()) topics.delete(record.topic);
        for (const k of [...this.data.sequences.keys()]) if (k.split('\u0000')[1] === record.topic) this.data.sequences.delete(k);
        return;
      case 'snapshot':
        if (first === record.at) this.load(record.at, fromSnapshot(record.view));
        return;
      case 'chunk':
        return;
    }
  }

  /** Takes a valid snapshot's view; this process's own waits keep their outcomes. */
  private load(at: number, data: ViewData): void {
    for (const id of this.watched) {
      const outcome = this.data.outcomes.get(id);
      if (outcome && !data.outcomes.has(id)) data.outcomes.set(id, outcome);
    }
    this.data = data;
    this.snapshotAt = at;
  }

  /** The view as a snapshot record's content, as of `next`. */
  snapshot(): CoordinationRecord & { t: 'snapshot' } {
    return { t: 'snapshot', id: `snapshot-${this.next}-${Math.random().toString(36).slice(2)}`, at: this.next, view: toSnapshot(this.data) };
  }

  /** The first expectation that does not hold in the view as it is now, or null. */
  failedExpectation(expects: readonly StateOp[]): StateOp | null {
    for (const e of expects) {
      if (!sameValue(this.data.state.get(stateKey(e.ns, e.key)) ?? null, fromWire(e.value))) return e;
    }
    return null;
  }

  private decide(offset: number, tx: TxRecord): void {
    const { outcomes } = this.data;
    // An abort (the writer timed out) that came first wins.
    if (outcomes.has(tx.id)) return;
    const failed = this.failedExpectation(tx.expects);
    if (failed) {
      this.keep(tx, { state: 'fenced', offset, namespace: failed.ns, key: failed.key, outputs: tx.outputs });
      return;
    }
    for (const p of tx.puts) {
      const value = fromWire(p.value);
      if (value === null) this.data.state.delete(stateKey(p.ns, p.key));
      else this.data.state.set(stateKey(p.ns, p.key), value);
    }
    for (const c of tx.commits) this.commit(c);
    let duplicates: Set<string> | null = null;
    for (const s of tx.sequences) {
      for (const seq of this.acceptSequences(s)) (duplicates ??= new Set()).add(duplicateKey(s.topic, s.partition, seq));
    }
    this.keep(tx, { state: 'committed', offset, duplicates, outputs: tx.outputs });
  }

  /**
   * Outcomes with outputs are kept (readers need them); those without only for the last
   * RECENT_OUTCOMES transactions: a lease heartbeat must not grow the view.
   */
  private keep(tx: TxRecord, outcome: TxOutcome): void {
    this.data.outcomes.set(tx.id, outcome);
    if (tx.outputs) return;
    this.data.recent.push(tx.id);
    while (this.data.recent.length > RECENT_OUTCOMES) {
      const old = this.data.recent.shift()!;
      if (!this.watched.has(old)) this.data.outcomes.delete(old);
    }
  }

  private commit(c: GroupCommitOp): void {
    let topics = this.data.offsets.get(c.group);
    if (!topics) this.data.offsets.set(c.group, (topics = new Map()));
    for (const o of c.offsets) {
      let partitions = topics.get(o.topic);
      if (!partitions) topics.set(o.topic, (partitions = new Map()));
      partitions.set(o.partition, o.offset);
    }
  }

  /** The sequences not above the last stored one (duplicates); the rest move it up. */
  private acceptSequences(s: SequenceOp): number[] {
    const k = sequenceKey(s.producerId, s.topic, s.partition);
    let highest = this.data.sequences.get(k) ?? -Infinity;
    const duplicates: number[] = [];
    for (const seq of s.sequences) {
      if (seq <= highest) duplicates.push(seq);
      else highest = seq;
    }
    if (highest !== -Infinity) this.data.sequences.set(k, highest);
    return duplicates;
  }

  getState(namespace: string, key: string): LogValue | null {
    return this.data.state.get(stateKey(namespace, key)) ?? null;
  }

  committed(group: string, topic: string): Map<number, number> {
    return new Map(this.data.offsets.get(group)?.get(topic) ?? []);
  }

  /** Every committed offset: [group, topic, partition, offset], sorted. */
  allCommitted(): [string, string, number, number][] {
    const out: [string, string, number, number][] = [];
    for (const [group, topics] of this.data.offsets) {
      for (const [topic, partitions] of topics) for (const [partition, offset] of partitions) out.push([group, topic, partition, offset]);
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  }

  lastSequence(producerId: string, topic: string, partition: number): number | null {
    return this.data.sequences.get(sequenceKey(producerId, topic, partition)) ?? null;
  }

  outcome(txId: string): TxOutcome | null {
    return this.data.outcomes.get(txId) ?? null;
  }

  /** Keeps the outcome of `txId` when it is decided (its committer will ask). */
  watch(txId: string): void {
    this.watched.add(txId);
  }

  /** The committer has read the outcome. */
  unwatch(txId: string): void {
    this.watched.delete(txId);
    // Dropped from `recent` while waited on: dropped now.
    const outcome = this.data.outcomes.get(txId);
    if (outcome && !outcome.outputs && !this.data.recent.includes(txId)) this.data.outcomes.delete(txId);
  }
}

function stateKey(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

function sequenceKey(producerId: string, topic: string, partition: number): string {
  return `${producerId}\u0000${topic}\u0000${partition}`;
}
