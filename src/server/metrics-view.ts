import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterTopic } from '../events/dead-letter.js';
import { pipelineGroup } from '../engine/pipeline-runner.js';
import type { EventLog } from '../log/types.js';
import { RATINGS_TOPIC } from '../movies/rating-event.js';
import { METRICS_TOPIC } from '../pipelines/ratings/ratings-pipeline.js';
import type { HealthResponse, MetricsRecord, StreamSnapshot, SummaryResponse } from './metrics-contract.js';

export interface MetricsViewOptions {
  log: EventLog;
  /** Final results kept per window type for /metrics/history. */
  historySize?: number;
  /** How far back in the metrics topic to start on boot (records per partition). */
  backfillRecords?: number;
  /** How often health is sampled (and pushed to listeners). */
  healthEveryMs?: number;
  /** Called for each new record and each health sample. */
  onMetrics?: (record: MetricsRecord) => void;
  onHealth?: (health: HealthResponse) => void;
}

/**
 * The server's view of the ratings pipeline: the latest result of each window type, the recent
 * final results, and pipeline health (lag, watermark, events/s) — fed by the `metrics` topic and
 * the log's group offsets, so it works beside a processor in another process.
 */
export class MetricsView {
  private readonly latest = new Map<string, MetricsRecord>();
  private readonly history = new Map<string, MetricsRecord[]>();
  /** The newest result (final or not) of each recent tumbling window, by window start. */
  private readonly recentTumbling = new Map<string, MetricsRecord>();
  private totalRatings = 0;
  private lateTotal = 0;
  private received = 0;
  private health: HealthResponse;
  private readonly started = Date.now();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private lastCommitted: { at: number; offset: number } | null = null;
  private recentRates: number[] = [];
  /** Bumped on every applied record: lets readers cache what they derive from the view. */
  version = 0;
  /** Live clients count, set by the server. */
  sseClients: () => number = () => 0;

  constructor(private readonly options: MetricsViewOptions) {
    this.health = this.emptyHealth();
  }

  start(): void {
    this.loops = [this.follow(), this.sampleHealth()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  summary(): SummaryResponse | null {
    if (this.latest.size === 0) return null;
    return {
      tumbling: this.latest.get('tumbling_1min') ?? null,
      sliding: this.latest.get('sliding_5min') ?? null,
      total_ratings: this.totalRatings,
    };
  }

  latestOf(windowType: string): MetricsRecord | null {
    return this.latest.get(windowType) ?? null;
  }

  /** Final results of a window type, oldest first, at most `limit`. */
  historyOf(windowType: string, limit: number): MetricsRecord[] {
    const list = this.history.get(windowType) ?? [];
    return list.slice(Math.max(0, list.length - limit));
  }

  currentHealth(): HealthResponse {
    return { ...this.health, sse_clients: this.sseClients(), uptime_seconds: Math.round((Date.now() - this.started) / 1000) };
  }

  /**
   * The newest result of each recent tumbling window, oldest first — final or still open. With
   * minutes of allowed lateness, finals trail real time; live charts need the open ones too.
   */
  recentTumblingResults(limit: number): MetricsRecord[] {
    const all = [...this.recentTumbling.values()];
    return all.slice(Math.max(0, all.length - limit));
  }

  snapshot(historyLimit = 120): StreamSnapshot {
    return { summary: this.summary(), health: this.currentHealth(), history: this.recentTumblingResults(historyLimit) };
  }

  /** Applies one metrics record (exported for tests that feed records directly). */
  apply(record: MetricsRecord): void {
    this.received++;
    this.version++;
    const current = this.latest.get(record.window_type);
    // The latest window wins; for the same window, the newer emission.
    if (!current || record.window_end > current.window_end || (record.window_end === current.window_end && (record.final || !current.final))) {
      this.latest.set(record.window_type, record);
    }
    if (record.window_type === 'tumbling_1min') {
      const prev = this.recentTumbling.get(record.window_start);
      if (!prev || !prev.final) {
        this.recentTumbling.set(record.window_start, record);
        if (!prev) this.sortRecent();
      }
    }
    if (record.final) {
      let list = this.history.get(record.window_type);
      if (!list) this.history.set(record.window_type, (list = []));
      list.push(record);
      if (list.length > (this.options.historySize ?? 1000)) list.shift();
      if (record.window_type === 'tumbling_1min') {
        this.totalRatings += record.count;
        this.lateTotal += record.late_events;
      }
    }
    this.options.onMetrics?.(record);
  }

  /** Keeps recentTumbling in window order and bounded (records mostly arrive in order: cheap). */
  private sortRecent(): void {
    const keys = [...this.recentTumbling.keys()];
    const sorted = keys.every((k, i) => i === 0 || keys[i - 1]! <= k);
    if (!sorted) {
      const entries = [...this.recentTumbling.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
      this.recentTumbling.clear();
      for (const [k, v] of entries) this.recentTumbling.set(k, v);
    }
    while (this.recentTumbling.size > (this.options.historySize ?? 1000)) {
      this.recentTumbling.delete(this.recentTumbling.keys().next().value!);
    }
  }

  private async follow(): Promise<void> {
    const { log } = this.options;
    const consumer = log.consumer({ group: `server-view-${process.pid}`, topics: [METRICS_TOPIC], from: 'latest' });
    // Start a little before the end, so history and the latest results are there at once.
    const info = await log.topic(METRICS_TOPIC);
    for (const p of info?.partitions ?? []) {
      consumer.seek(METRICS_TOPIC, p.partition, Math.max(p.startOffset, p.endOffset - (this.options.backfillRecords ?? 20_000)));
    }
    let sawTopic = info !== null;
    while (!this.stopped) {
      if (!sawTopic && (await log.topic(METRICS_TOPIC))) {
        // The topic appeared after start: read it from its beginning.
        sawTopic = true;
        for (const p of (await log.topic(METRICS_TOPIC))!.partitions) consumer.seek(METRICS_TOPIC, p.partition, p.startOffset);
      }
      const batch = await consumer.poll({ maxRecords: 2000, timeoutMs: 100 });
      for (const r of batch) {
        try {
          this.apply(JSON.parse(typeof r.value === 'string' ? r.value : Buffer.from(r.value).toString('utf8')) as MetricsRecord);
        } catch {
          // Not ours to judge: the metrics topic is written by the pipeline; skip what does not parse.
        }
      }
    }
    await consumer.close();
  }

  private async sampleHealth(): Promise<void> {
    while (!this.stopped) {
      try {
        this.health = await this.measureHealth();
        this.options.onHealth?.(this.currentHealth());
      } catch {
        // The log may be busy or closing; the next sample will tell.
      }
      await sleep(this.options.healthEveryMs ?? 1000);
    }
  }

  private async measureHealth(): Promise<HealthResponse> {
    const { log } = this.options;
    const now = Date.now();
    const ratings = await log.topic(RATINGS_TOPIC);
    const committed = await log.committed(pipelineGroup('ratings'), RATINGS_TOPIC);
    const end = ratings ? ratings.partitions.reduce((s, p) => s + p.endOffset, 0) : 0;
    const done = committed.reduce((s, c) => s + c.offset, 0);
    if (this.lastCommitted && now > this.lastCommitted.at) {
      this.recentRates.push(((done - this.lastCommitted.offset) * 1000) / (now - this.lastCommitted.at));
      if (this.recentRates.length > 5) this.recentRates.shift();
    }
    this.lastCommitted = { at: now, offset: done };
    const dlq = await log.topic(deadLetterTopic(RATINGS_TOPIC));
    // ISO-8601 UTC strings order as the times they name.
    const latest = [...this.latest.values()];
    const maxOf = (pick: (r: MetricsRecord) => string | null | undefined) =>
      latest.reduce<string | null>((m, r) => {
        const v = pick(r) ?? null;
        return v !== null && (m === null || v > m) ? v : m;
      }, null);
    const watermark = maxOf((r) => r.watermark);
    const lastEventTime = maxOf((r) => r.max_event_time);
    // Watermark = newest event time − allowed lateness, so their distance is the lateness.
    const lateness = watermark && lastEventTime ? Math.max(0, (Date.parse(lastEventTime) - Date.parse(watermark)) / 1000) : null;
    const eventsPerSecond = this.recentRates.length ? this.recentRates.reduce((s, r) => s + r, 0) / this.recentRates.length : 0;
    return {
      status: this.latest.size === 0 ? 'no_data' : eventsPerSecond > 0 ? 'ok' : 'idle',
      last_event_time: lastEventTime,
      watermark,
      watermark_delay_seconds: watermark ? Math.round((now - Date.parse(watermark)) / 100) / 10 : null,
      allowed_lateness_seconds: lateness,
      ratings_processed: done,
      consumer_lag: Math.max(0, end - done),
      events_per_second: Math.round(eventsPerSecond * 10) / 10,
      late_events_total: this.lateTotal,
      dead_letters_total: dlq ? dlq.partitions.reduce((s, p) => s + p.endOffset, 0) : 0,
      metrics_received: this.received,
      sse_clients: 0,
      uptime_seconds: 0,
    };
  }

  private emptyHealth(): HealthResponse {
    return {
      status: 'no_data', last_event_time: null, watermark: null, watermark_delay_seconds: null, allowed_lateness_seconds: null,
      ratings_processed: 0, consumer_lag: 0,
      events_per_second: 0, late_events_total: 0, dead_letters_total: 0, metrics_received: 0, sse_clients: 0, uptime_seconds: 0,
    };
  }
}
