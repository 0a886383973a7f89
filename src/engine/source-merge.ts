import type { LogRecord } from '../log/types.js';

/**
 * Merges the records of several partitions into one stream ordered by event time (ties by
 * partition), as Kafka Streams orders a task's input. The order depends only on what each
 * partition holds, not on how reads were batched, so a replay after a crash processes events in
 * the same order and closes windows the same way.
 *
 * A record can be taken only while every partition either has a buffered head or is known to be
 * exhausted (its last read came back empty); otherwise the caller must read more first.
 */
export class SourceMerge<T> {
  private readonly buffers: { items: { record: LogRecord; time: number; value: T }[]; head: number; exhausted: boolean }[];

  constructor(partitions: number) {
    this.buffers = Array.from({ length: partitions }, () => ({ items: [], head: 0, exhausted: false }));
  }

  /** Appends what a read of partition `p` returned (empty → that partition is exhausted for now). */
  push(p: number, items: { record: LogRecord; time: number; value: T }[]): void {
    const b = this.buffers[p]!;
    if (b.head > 0) {
      b.items = b.items.slice(b.head);
      b.head = 0;
    }
    if (items.length === 0) b.exhausted = true;
    else {
      for (const item of items) b.items.push(item);
      b.exhausted = false;
    }
  }

  /** Partitions whose buffer is empty and that are not known to be exhausted: read these next. */
  needsRead(): number[] {
    const out: number[] = [];
    this.buffers.forEach((b, p) => {
      if (b.head >= b.items.length && !b.exhausted) out.push(p);
    });
    return out;
  }

  /** Forget exhaustion, so the next round reads every empty partition again. */
  resetExhausted(): void {
    for (const b of this.buffers) b.exhausted = false;
  }

  /** The next record in event-time order, or null when a partition must be read first or all are empty. */
  take(): { record: LogRecord; time: number; value: T } | null {
    let best = -1;
    let bestTime = Infinity;
    for (let p = 0; p < this.buffers.length; p++) {
      const b = this.buffers[p]!;
      if (b.head >= b.items.length) {
        if (!b.exhausted) return null;
        continue;
      }
      const t = b.items[b.head]!.time;
      if (t < bestTime) {
        bestTime = t;
        best = p;
      }
    }
    if (best < 0) return null;
    const b = this.buffers[best]!;
    return b.items[b.head++]!;
  }

  buffered(): number {
    return this.buffers.reduce((s, b) => s + b.items.length - b.head, 0);
  }
}
