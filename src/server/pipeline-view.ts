import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterTopic } from '../events/dead-letter.js';
import { lateTopic } from '../engine/pipeline.js';
import { pipelineGroup } from '../engine/pipeline-runner.js';
import type { EventLog } from '../log/types.js';
import type { PipelineDeclaration, PipelineResults } from '../pipelines/pipeline-declaration.js';
import { resultEnvelopeSchema, type PipelineHealth, type ResultEnvelope } from '../pipelines/pipeline-result.js';

export interface PipelineViewOptions {
  log: EventLog;
  /** Final results kept per window name for history. */
  historySize?: number;
  /** How far back in the output topic to start on boot (records per partition). */
  backfillRecords?: number;
  /** How often health is sampled (and pushed to listeners). */
  healthEveryMs?: number;
}

/**
 * The server's view of one declared pipeline: the latest result of each window name, the recent
 * final results, and health (lag, watermark, events/s) — fed by the pipeline's output topic and
 * the log's group offsets, so it works beside a processor in another process.
 */
export class PipelineView<R extends ResultEnvelope> implements PipelineResults<R> {
  private readonly latest = new Map<string, R>();
  private readonly history = new Map<string, R[]>();
  /** The newest result (final or not) of each recent window of the first window name, by start. */
  private readonly recentResults = new Map<string, R>();
  private readonly primaryWindow: string;
  private resultListeners: ((record: R) => void)[] = [];
  private healthListeners: ((health: PipelineHealth) => void)[] = [];
  private measured: PipelineHealth;
  private readonly started = Date.now();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private lastCommitted: { at: number; offset: number } | null = null;
  private recentRates: number[] = [];
  eventsTotal = 0;
  resultsReceived = 0;
  version = 0;
  /** Live clients of the pipeline's streams, set by the server. */
  sseClients: () => number = () => 0;

  constructor(
    readonly declaration: PipelineDeclaration<R>,
    private readonly options: PipelineViewOptions,
  ) {
    this.primaryWindow = declaration.windows[0];
    this.measured = this.emptyHealth();
  }

  get name(): string {
    return this.declaration.name;
  }

  start(): void {
    this.loops = [this.follow(), this.sampleHealth()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  onResult(listener: (record: R) => void): void {
    this.resultListeners.push(listener);
  }

  onHealth(listener: (health: PipelineHealth) => void): void {
    this.healthListeners.push(listener);
  }

  hasData(): boolean {
    return this.latest.size > 0;
  }

  latestOf(window: string): R | null {
    return this.latest.get(window) ?? null;
  }

  historyOf(window: string, limit: number): R[] {
    const list = this.history.get(window) ?? [];
    return list.slice(Math.max(0, list.length - limit));
  }

  /**
   * With minutes of out-of-orderness, finals trail real time; live charts need the open windows
   * too: the newest result of each, oldest first.
   */
  recent(limit: number): R[] {
    const all = [...this.recentResults.values()];
    return all.slice(Math.max(0, all.length - limit));
  }

  health(): PipelineHealth {
    return { ...this.measured, sse_clients: this.sseClients(), uptime_seconds: Math.round((Date.now() - this.started) / 1000) };
  }

  /** `health()` with the late and dead-letter totals read from the log now (what the health routes answer). */
  async healthNow(): Promise<PipelineHealth> {
    const totals = await this.sideTopicTotals();
    return { ...this.health(), ...totals };
  }

  /**
   * Late events and dead letters as the processor commits them: the sizes of `<source>.late` and
   * `<source>.dlq` (records ever appended). A late event is counted the moment its checkpoint
   * commits, not when a later final result attributes it to a window.
   */
  private async sideTopicTotals(): Promise<Pick<PipelineHealth, 'late_events_total' | 'dead_letters_total'>> {
    const { log } = this.options;
    const { sourceTopic } = this.declaration;
    const appended = (topic: Awaited<ReturnType<EventLog['topic']>>) => (topic ? topic.partitions.reduce((s, p) => s + p.endOffset, 0) : 0);
    const [late, dlq] = await Promise.all([log.topic(lateTopic({ source: { topic: sourceTopic } })), log.topic(deadLetterTopic(sourceTopic))]);
    return { late_events_total: appended(late), dead_letters_total: appended(dlq) };
  }

  /** Applies one result record (exported for tests that feed records directly). */
  apply(record: R): void {
    this.resultsReceived++;
    this.version++;
    const current = this.latest.get(record.window_type);
    // The latest window wins; for the same window, the newer emission.
    if (!current || record.window_end > current.window_end || (record.window_end === current.window_end && (record.final || !current.final))) {
      this.latest.set(record.window_type, record);
    }
    if (record.window_type === this.primaryWindow) {
      const prev = this.recentResults.get(record.window_start);
      if (!prev || !prev.final) {
        this.recentResults.set(record.window_start, record);
        if (!prev) this.sortRecent();
      }
    }
    if (record.final) {
      let list = this.history.get(record.window_type);
      if (!list) this.history.set(record.window_type, (list = []));
      list.push(record);
      if (list.length > (this.options.historySize ?? 1000)) list.shift();
      if (record.window_type === this.primaryWindow) this.eventsTotal += record.count;
    }
    for (const listener of this.resultListeners) listener(record);
  }

  /** Keeps recentResults in window order and bounded (records mostly arrive in order: cheap). */
  private sortRecent(): void {
    const keys = [...this.recentResults.keys()];
    const sorted = keys.every((k, i) => i === 0 || keys[i - 1]! <= k);
    if (!sorted) {
      const entries = [...this.recentResults.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      this.recentResults.clear();
      for (const [k, v] of entries) this.recentResults.set(k, v);
    }
    while (this.recentResults.size > (this.options.historySize ?? 1000)) {
      this.recentResults.delete(this.recentResults.keys().next().value!);
    }
  }

  private async follow(): Promise<void> {
    const { log } = this.options;
    const topic = this.declaration.outputTopic;
    // From `earliest`: a partition that does not exist yet (the topic is created after the server
    // started) is read from its beginning once it appears, by the consumer itself — so no record
    // is read twice, as a later seek back to the start would.
    const consumer = log.consumer({ group: `server-view-${process.pid}`, topics: [topic], from: 'earliest' });
    // Start a little before the end, so history and the latest results are there at once.
    const info = await log.topic(topic);
    for (const p of info?.partitions ?? []) {
      consumer.seek(topic, p.partition, Math.max(p.startOffset, p.endOffset - (this.options.backfillRecords ?? 20_000)));
    }
    while (!this.stopped) {
      const batch = await consumer.poll({ maxRecords: 2000, timeoutMs: 100 });
      for (const r of batch) {
        let value: unknown;
        try {
          value = JSON.parse(typeof r.value === 'string' ? r.value : Buffer.from(r.value).toString('utf8'));
        } catch {
          continue;
        }
        // Only the envelope is checked (what this view reads); the record is served as written.
        if (resultEnvelopeSchema.safeParse(value).success) this.apply(value as R);
      }
    }
    await consumer.close();
  }

  private async sampleHealth(): Promise<void> {
    while (!this.stopped) {
      try {
        this.measured = await this.measureHealth();
        const health = this.health();
        for (const listener of this.healthListeners) listener(health);
      } catch {
        // The log may be busy or closing; the next sample will tell.
      }
      await sleep(this.options.healthEveryMs ?? 1000);
    }
  }

  private async measureHealth(): Promise<PipelineHealth> {
    const { log } = this.options;
    const { sourceTopic, name } = this.declaration;
    const now = Date.now();
    const source = await log.topic(sourceTopic);
    const committed = await log.committed(pipelineGroup(name), sourceTopic);
    const end = source ? source.partitions.reduce((s, p) => s + p.endOffset, 0) : 0;
    const done = committed.reduce((s, c) => s + c.offset, 0);
    if (this.lastCommitted && now > this.lastCommitted.at) {
      this.recentRates.push(((done - this.lastCommitted.offset) * 1000) / (now - this.lastCommitted.at));
      if (this.recentRates.length > 5) this.recentRates.shift();
    }
    this.lastCommitted = { at: now, offset: done };
    const totals = await this.sideTopicTotals();
    // ISO-8601 UTC strings order as the times they name.
    const latest = [...this.latest.values()];
    const maxOf = (pick: (r: R) => string | null | undefined) =>
      latest.reduce<string | null>((m, r) => {
        const v = pick(r) ?? null;
        return v !== null && (m === null || v > m) ? v : m;
      }, null);
    const watermark = maxOf((r) => r.watermark);
    const lastEventTime = maxOf((r) => r.max_event_time);
    // Watermark = newest event time − out-of-orderness, so their distance is that bound
    // (`allowed_lateness_seconds`: the API field keeps its first name).
    const lateness = watermark && lastEventTime ? Math.max(0, (Date.parse(lastEventTime) - Date.parse(watermark)) / 1000) : null;
    const eventsPerSecond = this.recentRates.length ? this.recentRates.reduce((s, r) => s + r, 0) / this.recentRates.length : 0;
    return {
      status: this.latest.size === 0 ? 'no_data' : eventsPerSecond > 0 ? 'ok' : 'idle',
      last_event_time: lastEventTime,
      watermark,
      watermark_delay_seconds: watermark ? Math.round((now - Date.parse(watermark)) / 100) / 10 : null,
      allowed_lateness_seconds: lateness,
      events_processed: done,
      consumer_lag: Math.max(0, end - done),
      events_per_second: Math.round(eventsPerSecond * 10) / 10,
      ...totals,
      results_received: this.resultsReceived,
      sse_clients: 0,
      uptime_seconds: 0,
    };
  }

  private emptyHealth(): PipelineHealth {
    return {
      status: 'no_data', last_event_time: null, watermark: null, watermark_delay_seconds: null, allowed_lateness_seconds: null,
      events_processed: 0, consumer_lag: 0,
      events_per_second: 0, late_events_total: 0, dead_letters_total: 0, results_received: 0, sse_clients: 0, uptime_seconds: 0,
    };
  }
}
