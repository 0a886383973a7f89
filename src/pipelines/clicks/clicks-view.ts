import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EventLog, LogRecord } from '../../log/types.js';
import { CLICKS_BINS_TOPIC, CLICKS_LATE_TOPIC, CLICKS_TOPIC, clickCodec } from './click-event.js';
import type { ClickBin, ClicksData, ClickType, SeedClickerData } from './clicks-contract.js';
import { BIN_MS, BINS_WINDOW, clicksResultSchema, type ClicksResult } from './clicks-pipeline.js';

/** What `/clicks/data` serves: the last 2 minutes of bins; the seed's recent events, 2 minutes and 1,000 at most. */
export const RECENT_MS = 120_000;
export const MAX_RECENT_EVENTS = 1000;
const RATE_SPAN_MS = 10_000;

export interface ClicksViewOptions {
  log: EventLog;
  now?: () => number;
  pollTimeoutMs?: number;
}

interface Counts {
  cheers: number;
  hate: number;
}

const textDecoder = new TextDecoder();
const textOf = (r: LogRecord) => (typeof r.value === 'string' ? r.value : textDecoder.decode(r.value));

/**
 * The clicks pipeline as the routes serve it, derived from its committed results alone:
 *
 * - totals = Σ final bins + Σ the newest result of each bin not final yet + the late clicks.
 *   The view reads `clicks.bins` and `clicks.late` from their beginning (one final record a 2 s
 *   bin, a few open updates before it). Both are written in the processor's checkpoint
 *   transactions, so after any crash and replay each bin's final is in the topic once, and each
 *   late click once: every click of the source topic is counted exactly once, across restarts of
 *   the server or the processor. A bin's open updates replace each other; its final replaces them.
 * - bins: the last 2 minutes (older ones leave memory; the lake's clicks_agg keeps them).
 * - recent events (the seed's `/kafka/data`): the source topic's last 1,000 clicks, followed.
 */
export class ClicksView {
  private finals: Counts = { cheers: 0, hate: 0 };
  private late: Counts = { cheers: 0, hate: 0 };
  /** The newest result of each bin, final or not, by start ms (the last 2 minutes' and every open one). */
  private bins = new Map<number, ClicksResult>();
  private recentClicks: { type: ClickType; timestamp: number }[] = [];
  private updatedAt: string | null = null;
  private listeners: (() => void)[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly now: () => number;
  /** Bumped on every change: response caches key on it. */
  version = 0;

  constructor(private readonly options: ClicksViewOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    // A log closed before the view began following: nothing to follow (the routes answer what is known).
    this.loop ??= this.follow().catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Every click counted once: finals, open bins' newest results and late clicks. */
  totals(): Counts {
    const t = { cheers: this.finals.cheers + this.late.cheers, hate: this.finals.hate + this.late.hate };
    for (const b of this.bins.values()) {
      if (!b.final) {
        t.cheers += b.cheers;
        t.hate += b.hate;
      }
    }
    return t;
  }

  data(): ClicksData {
    const now = this.now();
    const bins: ClickBin[] = [];
    let recent = 0;
    for (const [start, b] of this.bins) {
      if (start + BIN_MS <= now - RECENT_MS) continue;
      bins.push({ bin_start: b.window_start, bin_end: b.window_end, cheers: b.cheers, hate: b.hate, final: b.final });
      if (start + BIN_MS > now - RATE_SPAN_MS) recent += b.cheers + b.hate;
    }
    return { totals: this.totals(), bins, rate_per_second: Math.round((recent / (RATE_SPAN_MS / 1000)) * 10) / 10, updated_at: this.updatedAt };
  }

  seedData(): SeedClickerData {
    const totals = this.totals();
    const since = this.now() - RECENT_MS;
    let first = this.recentClicks.length;
    while (first > 0 && this.recentClicks[first - 1]!.timestamp >= since) first--;
    return { total_cheers: totals.cheers, total_hate: totals.hate, recent_events: this.recentClicks.slice(Math.max(first, this.recentClicks.length - MAX_RECENT_EVENTS)) };
  }

  /** Applies one `clicks.bins` record (exported for tests). */
  applyResult(r: ClicksResult): void {
    if (r.window_type !== BINS_WINDOW) return;
    const start = Date.parse(r.window_start);
    const prev = this.bins.get(start);
    if (prev?.final) return; // a bin's final is its last word
    if (r.final) {
      this.finals.cheers += r.cheers;
      this.finals.hate += r.hate;
    }
    this.bins.set(start, r);
    if (!prev) this.sortBins();
    if (this.updatedAt === null || r.processing_time > this.updatedAt) this.updatedAt = r.processing_time;
  }

  /** Keeps bins in start order, and drops final bins older than 2 minutes. */
  private sortBins(): void {
    const keys = [...this.bins.keys()];
    if (!keys.every((k, i) => i === 0 || keys[i - 1]! < k)) this.bins = new Map([...this.bins].sort((a, b) => a[0] - b[0]));
    this.prune();
  }

  private prune(): void {
    const horizon = this.now() - RECENT_MS - BIN_MS;
    for (const [start, b] of this.bins) {
      if (start >= horizon) break;
      if (b.final) this.bins.delete(start);
    }
  }

  private applyLate(r: LogRecord): void {
    try {
      const click = clickCodec.decode(r.value);
      this.late[click.type]++;
    } catch {
      // not a click: never counted
    }
  }

  private applyClick(r: LogRecord): void {
    try {
      const click = clickCodec.decode(r.value);
      this.recentClicks.push({ type: click.type, timestamp: click.ts });
    } catch {
      // the processor dead-letters it
    }
  }

  private async follow(): Promise<void> {
    const { log } = this.options;
    for (const topic of [CLICKS_TOPIC, CLICKS_BINS_TOPIC, CLICKS_LATE_TOPIC]) await log.ensureTopic(topic, { partitions: 1 });
    const consumer: Consumer = log.consumer({ group: `clicks-view-${process.pid}`, topics: [CLICKS_BINS_TOPIC, CLICKS_LATE_TOPIC, CLICKS_TOPIC], from: 'earliest' });
    // Of the source topic, only the last clicks (the seed's recent events).
    for (const p of (await log.topic(CLICKS_TOPIC))?.partitions ?? []) {
      consumer.seek(CLICKS_TOPIC, p.partition, Math.max(p.startOffset, p.endOffset - MAX_RECENT_EVENTS));
    }
    try {
      while (!this.stopped) {
        let batch: LogRecord[];
        try {
          batch = await consumer.poll({ maxRecords: 5000, timeoutMs: this.options.pollTimeoutMs ?? 50 });
        } catch {
          // The log is closing or failing: try again shortly (the routes answer what is known).
          await sleep(200);
          continue;
        }
        if (batch.length === 0) {
          this.prune();
          continue;
        }
        for (const r of batch) {
          if (r.topic === CLICKS_BINS_TOPIC) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(textOf(r));
            } catch {
              continue;
            }
            const result = clicksResultSchema.safeParse(parsed);
            if (result.success) this.applyResult(result.data);
          } else if (r.topic === CLICKS_LATE_TOPIC) {
            this.applyLate(r);
          } else {
            this.applyClick(r);
          }
        }
        if (this.recentClicks.length > 2 * MAX_RECENT_EVENTS) this.recentClicks = this.recentClicks.slice(-MAX_RECENT_EVENTS);
        this.version++;
        for (const listener of this.listeners) listener();
      }
    } finally {
      await consumer.close().catch(() => {});
    }
  }
}
