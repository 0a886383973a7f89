import type { PipelineResults } from '../pipeline-declaration.js';
import type { HealthResponse, MetricsRecord, StreamSnapshot, SummaryResponse } from './ratings-contract.js';

/**
 * The seed API's view of the ratings pipeline (`/metrics/*`, `StreamrecServer.view`): the generic
 * results view in the shapes the seed's clients and the dashboard read.
 */
export class MetricsView {
  constructor(private readonly results: PipelineResults<MetricsRecord>) {}

  get version(): number {
    return this.results.version;
  }

  summary(): SummaryResponse | null {
    if (!this.results.hasData()) return null;
    return {
      tumbling: this.results.latestOf('tumbling_1min'),
      sliding: this.results.latestOf('sliding_5min'),
      total_ratings: this.results.eventsTotal,
    };
  }

  latestOf(windowType: string): MetricsRecord | null {
    return this.results.latestOf(windowType);
  }

  historyOf(windowType: string, limit: number): MetricsRecord[] {
    return this.results.historyOf(windowType, limit);
  }

  currentHealth(): HealthResponse {
    const h = this.results.health();
    return {
      status: h.status,
      last_event_time: h.last_event_time,
      watermark: h.watermark,
      watermark_delay_seconds: h.watermark_delay_seconds,
      allowed_lateness_seconds: h.allowed_lateness_seconds,
      ratings_processed: h.events_processed,
      consumer_lag: h.consumer_lag,
      events_per_second: h.events_per_second,
      late_events_total: h.late_events_total,
      dead_letters_total: h.dead_letters_total,
      metrics_received: h.results_received,
      sse_clients: h.sse_clients,
      uptime_seconds: h.uptime_seconds,
    };
  }

  /** The newest result of each recent tumbling window, oldest first — final or still open. */
  recentTumblingResults(limit: number): MetricsRecord[] {
    return this.results.recent(limit);
  }

  snapshot(historyLimit = 120): StreamSnapshot {
    return { summary: this.summary(), health: this.currentHealth(), history: this.recentTumblingResults(historyLimit) };
  }
}
