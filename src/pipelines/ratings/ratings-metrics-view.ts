import type { PipelineResults } from '../pipeline-declaration.js';
import type { PipelineHealth } from '../pipeline-result.js';
import type {
  FlatSummary, GenresResponse, HealthResponse, HistoryResponse, MetricsRecord, StreamSnapshot, StreamSummary, SummaryResponse, TopnResponse,
} from './ratings-contract.js';

export const TUMBLING = 'tumbling_1min';
export const SLIDING = 'sliding_5min';

/** The seed's flat summary of one result. */
export function flatSummary(r: MetricsRecord): FlatSummary {
  return {
    window_start: r.window_start,
    window_end: r.window_end,
    window_type: r.window_type,
    total_ratings: r.count,
    avg_rating: r.avg_rating,
    p50_rating: r.p50_rating,
    p95_rating: r.p95_rating,
    timestamp: r.processing_time,
    final: r.final,
  };
}

/** `GET /metrics/topn`'s body for one result. */
export function topnOf(record: MetricsRecord, limit: number): TopnResponse {
  const movies = record.top_movies.slice(0, limit).map((m, i) => ({ ...m, rank: i + 1, rating_count: m.count }));
  return {
    window_type: record.window_type,
    window_start: record.window_start,
    window_end: record.window_end,
    final: record.final,
    count: movies.length,
    timestamp: record.processing_time,
    movies,
  };
}

/** `GET /metrics/genres`' body for one result. */
export function genresOf(record: MetricsRecord): GenresResponse {
  const total = Object.values(record.genres).reduce((s, g) => s + g.count, 0);
  const list = Object.entries(record.genres)
    .map(([genre, g]) => {
      const share = total ? g.count / total : 0;
      return { genre, count: g.count, avg_rating: g.avg_rating, share, percentage: share * 100 };
    })
    .sort((a, b) => b.count - a.count || a.genre.localeCompare(b.genre));
  return {
    window_type: record.window_type,
    window_start: record.window_start,
    window_end: record.window_end,
    genres: Object.fromEntries(list.map(({ genre, ...stats }) => [genre, stats])),
    genre_list: list,
  };
}

/** The generic health in the seed's `/metrics/health` shape. */
function seedHealth(h: PipelineHealth): HealthResponse {
  return {
    status: h.status === 'ok' ? 'healthy' : h.status,
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

/**
 * The seed API's view of the ratings pipeline (`/metrics/*`, `StreamrecServer.view`): the generic
 * results view in the shapes the seed's clients and the dashboard read.
 */
export class MetricsView {
  constructor(private readonly results: PipelineResults<MetricsRecord>) {}

  get version(): number {
    return this.results.version;
  }

  /** The seed's flat fields from the latest tumbling result (the latest sliding one before any), nested results beside. */
  summary(): SummaryResponse | null {
    if (!this.results.hasData()) return null;
    const tumbling = this.results.latestOf(TUMBLING);
    const sliding = this.results.latestOf(SLIDING);
    const flatFrom = tumbling ?? sliding;
    if (!flatFrom) return null;
    return { ...flatSummary(flatFrom), tumbling, sliding, ratings_total_since_start: this.results.eventsTotal };
  }

  /** The seed stream's `summary` message: the flat fields, no nested records. */
  streamSummary(): StreamSummary | null {
    const latest = this.results.latestOf(TUMBLING) ?? this.results.latestOf(SLIDING);
    return latest ? { ...flatSummary(latest), ratings_total_since_start: this.results.eventsTotal } : null;
  }

  latestOf(windowType: string): MetricsRecord | null {
    return this.results.latestOf(windowType);
  }

  /** The record `topn` and `genres` answer from: the asked window type's latest, else the tumbling one. */
  rankingRecord(windowType: string = SLIDING): MetricsRecord | null {
    return this.results.latestOf(windowType) ?? this.results.latestOf(TUMBLING);
  }

  historyOf(windowType: string, limit: number): MetricsRecord[] {
    return this.results.historyOf(windowType, limit);
  }

  /** `GET /metrics/history`: the latest result of each recent window, newest last, beside the finals. */
  history(windowType: string, limit: number): HistoryResponse {
    const items = this.results.historyOf(windowType, limit);
    const latest = windowType === TUMBLING ? this.results.recent(limit) : items;
    const history = latest.map(flatSummary);
    return { count: history.length, history, window_type: windowType, items };
  }

  /** The last sampled health, in the seed's shape (what the stream's `health` events carry). */
  currentHealth(): HealthResponse {
    return seedHealth(this.results.health());
  }

  /** `GET /metrics/health`: the same, with the late and dead-letter totals as the log holds them now. */
  async healthNow(): Promise<HealthResponse> {
    return seedHealth(await this.results.healthNow());
  }

  /** The newest result of each recent tumbling window, oldest first — final or still open. */
  recentTumblingResults(limit: number): MetricsRecord[] {
    return this.results.recent(limit);
  }

  snapshot(historyLimit = 120): StreamSnapshot {
    return { summary: this.summary(), health: this.currentHealth(), history: this.recentTumblingResults(historyLimit) };
  }
}
