/** The `source` values the recommendation API answers with; each is counted even when 0. */
export const SOURCES = ['model', 'cache', 'fallback_popular'] as const;

/** One finished request, as the runner saw it. Times are epoch ms. */
export interface RequestRecord {
  userId: number;
  /** The user was drawn from the known range. */
  known: boolean;
  n: number;
  /** The path requested, e.g. /recommendations/recommend/12345. */
  endpoint: string;
  /** When the open-loop schedule meant to send it. */
  scheduledAt: number;
  completedAt: number;
  /** From the scheduled time to the end of the answer (or the failure). */
  latencyMs: number;
  /** From the scheduled time to the actual send: waiting for the concurrency cap, or a busy client. */
  sendDelayMs: number;
  status: number | null;
  success: boolean;
  source?: string;
  modelVersion?: string;
  recommendations?: number;
  error?: string;
}

/**
 * A line of the per-request JSONL log. The old simulator's fields (timestamp, request.endpoint /
 * params / user_id / n, response.success / latency in seconds / status) keep their names and
 * meaning so scripts over those logs keep working; the rest are additions.
 */
export interface RequestLogLine {
  /** When the request finished. */
  timestamp: string;
  request: { endpoint: string; params: { n: number }; user_id: number; n: number; known_user: boolean; scheduled_at: string; send_delay: number };
  response: {
    success: boolean;
    /** Seconds from the scheduled send time. */
    latency: number;
    status: number | null;
    source?: string;
    model_version?: string;
    recommendations?: number;
    error?: string;
  };
}

export function requestLogLine(r: RequestRecord): RequestLogLine {
  const response: RequestLogLine['response'] = { success: r.success, latency: seconds(r.latencyMs), status: r.status };
  if (r.source !== undefined) response.source = r.source;
  if (r.modelVersion !== undefined) response.model_version = r.modelVersion;
  if (r.recommendations !== undefined) response.recommendations = r.recommendations;
  if (r.error !== undefined) response.error = r.error;
  return {
    timestamp: new Date(r.completedAt).toISOString(),
    request: { endpoint: r.endpoint, params: { n: r.n }, user_id: r.userId, n: r.n, known_user: r.known, scheduled_at: new Date(r.scheduledAt).toISOString(), send_delay: seconds(r.sendDelayMs) },
    response,
  };
}

/** ms → seconds, to the microsecond (the old logs' unit). */
export function seconds(ms: number): number {
  return Math.round(ms * 1000) / 1e6;
}
