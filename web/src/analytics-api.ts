/** Plain fetches of the /analytics routes; errors carry the server's message. */
import type { DistributionsResponse, TopNPeriod, TopNResult, TrendingResult } from '../../src/analytics/analytics-contract.js';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, message: string) {
    super(message);
  }

  /** The 404 every route answers before the first `streamrec analytics` run. */
  get noAnalytics(): boolean {
    return this.status === 404 && /no analytics yet/i.test(this.message);
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'the server did not answer (is `streamrec serve` running?)');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const message = typeof (body as { message?: unknown } | null)?.message === 'string' ? (body as { message: string }).message : `HTTP ${res.status}`;
    throw new ApiError(res.status, message);
  }
  if (body === null || typeof body !== 'object') throw new ApiError(res.status, `unexpected response from ${path}`);
  return body as T;
}

export function fetchDistributions(signal?: AbortSignal): Promise<DistributionsResponse> {
  return getJson<DistributionsResponse>('/analytics/distributions', signal);
}

/** The top movies of the period containing `at` (ISO), by default the latest one with ratings. */
export function fetchTopN(period: TopNPeriod, at: string | null, signal?: AbortSignal): Promise<TopNResult> {
  const q = new URLSearchParams({ period });
  if (at !== null) q.set('at', at);
  return getJson<TopNResult>(`/analytics/topn?${q.toString()}`, signal);
}

export function fetchTrending(limit: number, signal?: AbortSignal): Promise<TrendingResult> {
  return getJson<TrendingResult>(`/analytics/trending?limit=${limit}`, signal);
}
