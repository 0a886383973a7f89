import { DDSketch } from '@datadog/sketches-js';
import type { ArrivalKind } from './arrivals.js';
import { latencyStats } from './latency-stats.js';
import { seconds, SOURCES, type RequestRecord } from './request-record.js';
import type { UserRange } from './users.js';

/** Where the known user range came from. */
export type KnownUsersFrom = 'service' | 'flag' | 'default';

export interface SimulationConfig {
  baseUrl: string;
  rate: number;
  durationMs: number;
  n: number;
  /** Share of requests for known users. */
  existing: number;
  arrivals: ArrivalKind;
  seed: number;
  known: UserRange;
  knownFrom: KnownUsersFrom;
  unknown: UserRange;
  timeoutMs: number;
  concurrency: number;
}

type Counts = Record<string, number>;
type LatencyFields = 'min' | 'max' | 'mean' | 'median' | 'p50' | 'p95' | 'p99' | 'stdev';

/**
 * The summary JSON. `configuration`, `execution`, `requests`, `latency` and `errors` keep the old
 * simulator's field names, units (seconds) and meanings; the other keys are additions.
 */
export interface SimulationSummary {
  configuration: {
    rate: number;
    /** Seconds. */
    duration: number;
    api_base_url: string;
    n: number;
    existing_ratio: number;
    arrivals: ArrivalKind;
    seed: number;
    known_users: UserRange & { from: KnownUsersFrom };
    unknown_users: UserRange;
    /** Seconds. */
    timeout: number;
    concurrency: number;
  };
  execution: {
    start_time: string;
    end_time: string;
    /** Seconds from the start to the last answer. */
    actual_duration: number;
    /** Stopped early by Ctrl-C: requests not yet sent were dropped. */
    interrupted: boolean;
  };
  requests: {
    total: number;
    successful: number;
    failed: number;
    /** Percent. */
    success_rate: number;
    /** Requests per second over actual_duration. */
    actual_rate: number;
    known_users: number;
    unknown_users: number;
    /** Sent more than LATE_SEND_MS after their scheduled time (their latency includes the wait). */
    sent_late: number;
  };
  /** Seconds, over successful requests, from the scheduled send time; null without any. */
  latency: Record<LatencyFields, number | null>;
  /** Failed requests by type: "HTTP 503", "Timeout", "ECONNREFUSED", … */
  errors: Counts;
  /** Successful answers by `source` (model, cache, fallback_popular always present). */
  sources: Counts;
  sources_by_user: { known: Counts; unknown: Counts };
  /** Successful answers by `model_version`: more than one means the model changed during the run. */
  model_versions: Counts;
  service: { model_version: string | null };
  log_file: string | null;
}

/**
 * A send this late means the simulator, not the server, held the request: the concurrency cap was
 * full or the client's event loop was busy. Worth telling apart when reading the latencies.
 */
export const LATE_SEND_MS = 100;

/** What the live progress line shows. */
export interface LiveStats {
  total: number;
  successful: number;
  /** Percent of finished requests; 0 before any. */
  successRate: number;
  avgLatencyMs: number;
  /** Approximate (1 % relative error); the summary's figures are exact. */
  p95LatencyMs: number;
}

/** Counts finished requests as they come, and turns them into the live line's figures and the summary. */
export class SimulationTally {
  private total = 0;
  private successful = 0;
  private knownUsers = 0;
  private sentLate = 0;
  private readonly errors = new Map<string, number>();
  private readonly sources = { known: zeroSources(), unknown: zeroSources() };
  private readonly modelVersions = new Map<string, number>();
  private readonly latenciesMs: number[] = [];
  private latencySumMs = 0;
  // The live line's P95 without sorting every latency a few times a second.
  private readonly sketch = new DDSketch({ relativeAccuracy: 0.01 });

  add(record: RequestRecord): void {
    this.total++;
    if (record.known) this.knownUsers++;
    if (record.sendDelayMs > LATE_SEND_MS) this.sentLate++;
    if (!record.success) {
      increment(this.errors, record.error ?? 'Error');
      return;
    }
    this.successful++;
    this.latenciesMs.push(record.latencyMs);
    this.latencySumMs += record.latencyMs;
    this.sketch.accept(Math.max(0, record.latencyMs));
    if (record.source !== undefined) increment(this.sources[record.known ? 'known' : 'unknown'], record.source);
    if (record.modelVersion !== undefined) increment(this.modelVersions, record.modelVersion);
  }

  live(): LiveStats {
    return {
      total: this.total,
      successful: this.successful,
      successRate: this.total > 0 ? (100 * this.successful) / this.total : 0,
      avgLatencyMs: this.successful > 0 ? this.latencySumMs / this.successful : 0,
      p95LatencyMs: this.successful > 0 ? this.sketch.getValueAtQuantile(0.95) : 0,
    };
  }

  summary(
    config: SimulationConfig,
    run: { startedAt: number; endedAt: number; interrupted: boolean; modelVersion: string | null; logFile: string | null },
  ): SimulationSummary {
    const actualSeconds = Math.max(0, run.endedAt - run.startedAt) / 1000;
    const stats = latencyStats(this.latenciesMs);
    const latency = {} as Record<LatencyFields, number | null>;
    for (const field of ['min', 'max', 'mean', 'median', 'p50', 'p95', 'p99', 'stdev'] as const) latency[field] = stats ? seconds(stats[field]) : null;
    const sources = zeroSources();
    for (const kind of ['known', 'unknown'] as const) for (const [source, count] of this.sources[kind]) increment(sources, source, count);
    return {
      configuration: {
        rate: config.rate,
        duration: config.durationMs / 1000,
        api_base_url: config.baseUrl,
        n: config.n,
        existing_ratio: config.existing,
        arrivals: config.arrivals,
        seed: config.seed,
        known_users: { ...config.known, from: config.knownFrom },
        unknown_users: { ...config.unknown },
        timeout: config.timeoutMs / 1000,
        concurrency: config.concurrency,
      },
      execution: {
        start_time: new Date(run.startedAt).toISOString(),
        end_time: new Date(run.endedAt).toISOString(),
        actual_duration: round(actualSeconds, 3),
        interrupted: run.interrupted,
      },
      requests: {
        total: this.total,
        successful: this.successful,
        failed: this.total - this.successful,
        success_rate: this.total > 0 ? round((100 * this.successful) / this.total, 2) : 0,
        actual_rate: actualSeconds > 0 ? round(this.total / actualSeconds, 2) : 0,
        known_users: this.knownUsers,
        unknown_users: this.total - this.knownUsers,
        sent_late: this.sentLate,
      },
      latency,
      errors: sortedCounts(this.errors),
      sources: Object.fromEntries(sources),
      sources_by_user: { known: Object.fromEntries(this.sources.known), unknown: Object.fromEntries(this.sources.unknown) },
      model_versions: sortedCounts(this.modelVersions),
      service: { model_version: run.modelVersion },
      log_file: run.logFile,
    };
  }
}

// Maps, not objects, while counting: a source named "__proto__" must count like any other.
function zeroSources(): Map<string, number> {
  return new Map(SOURCES.map((s) => [s, 0]));
}

function increment(counts: Map<string, number>, key: string, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

/** Most frequent first, so the summary reads top-down. */
function sortedCounts(map: Map<string, number>): Counts {
  return Object.fromEntries([...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
