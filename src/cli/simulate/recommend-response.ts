/** The recommendation route for a user, relative to the API's base URL. */
export function recommendPath(userId: number, n: number): string {
  return `/recommendations/recommend/${userId}?n=${n}`;
}

/** What the simulator reads from a 200 of GET /recommendations/recommend/{user_id}. */
export interface RecommendAnswer {
  recommendations: number;
  source?: string;
  modelVersion?: string;
}

/**
 * Reads `{ recommendations: [...], source, model_version }`; null when the body is not that shape
 * (the request then counts as failed: a 200 without recommendations is not a success to a user).
 */
export function readRecommendAnswer(body: unknown): RecommendAnswer | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.recommendations)) return null;
  const answer: RecommendAnswer = { recommendations: b.recommendations.length };
  if (typeof b.source === 'string') answer.source = b.source;
  if (typeof b.model_version === 'string') answer.modelVersion = b.model_version;
  return answer;
}
