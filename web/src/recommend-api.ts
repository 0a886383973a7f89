/** The Recommendations page's requests: a user's view, health, similar movies, and a rating sent through the public events route. */
import type { RecommendPageHealth, SimilarResponse, UserViewResponse } from '../../src/recommend/serving/page-contract.js';

/** An answer other than 2xx, with the server's message (its error body's `message`). */
export class RecommendApiError extends Error {
  override name = 'RecommendApiError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { cache: 'no-store', ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new RecommendApiError(0, 'the server did not answer (is `streamrec serve` or `streamrec up` running?)');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const message = typeof (body as { message?: unknown } | null)?.message === 'string' ? (body as { message: string }).message : `HTTP ${res.status}`;
    throw new RecommendApiError(res.status, message);
  }
  if (body === null || typeof body !== 'object') throw new RecommendApiError(res.status, `unexpected answer from ${path}`);
  return body as T;
}

export function fetchUserView(userId: number, n = 10): Promise<UserViewResponse> {
  return request<UserViewResponse>(`/recommendations/users/${userId}?n=${n}`);
}

export function fetchHealth(): Promise<RecommendPageHealth> {
  return request<RecommendPageHealth>('/recommendations/health');
}

export function fetchSimilar(movieId: number, model: string, n = 10): Promise<SimilarResponse> {
  return request<SimilarResponse>(`/recommendations/similar/${movieId}?n=${n}&model=${encodeURIComponent(model)}`);
}

/** Sends one rating to `POST /events/ratings` (the public ingestion route); the server stamps its time. */
export function postRating(userId: number, movieId: number, rating: number): Promise<unknown> {
  return request('/events/ratings', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, movieId, rating }),
  });
}

/** The per-user event stream's URL. */
export function userStreamUrl(userId: number): string {
  return `/recommendations/users/${userId}/stream`;
}
