import type { JsonHttpClient } from './http-client.js';
import { checkUserRange, type UserRange } from './users.js';
import { StreamrecError } from '../../util/errors.js';

/** The API cannot be used at all (unreachable, or not the recommendation API). */
export class ServiceCheckError extends StreamrecError {
  override name = 'ServiceCheckError';
  constructor(message: string) {
    super(message, { code: 'service-unreachable' });
  }
}

export interface ServiceCheck {
  /** The health route's HTTP status (200, or e.g. 503 while no model is loaded). */
  healthStatus: number;
  healthLatencyMs: number;
  modelVersion: string | null;
  modelLoaded: boolean | null;
  /** The known user range the service reports at GET /recommendations/, if it does. */
  users: (UserRange & { count: number | null }) | null;
}

/**
 * The pre-flight check: GET /recommendations/health must answer (any status but 404, so a run can
 * measure a service that is up without a model), then GET /recommendations/ may tell the user range.
 */
export async function checkService(client: JsonHttpClient, timeoutMs: number): Promise<ServiceCheck> {
  const where = client.base.href.replace(/\/$/, '');
  const health = await client.get('/recommendations/health', timeoutMs);
  if (health.status === null) throw new ServiceCheckError(`cannot reach the recommendation API at ${where}: ${health.error ?? 'no answer'} (is it running? pass its address with --url)`);
  if (health.status === 404) throw new ServiceCheckError(`${where}/recommendations/health answered HTTP 404: is this the recommendation API? (pass its address with --url)`);
  const body = isObject(health.body) ? health.body : {};
  const check: ServiceCheck = {
    healthStatus: health.status,
    healthLatencyMs: health.endedAt - health.sentAt,
    modelVersion: typeof body.model_version === 'string' ? body.model_version : null,
    modelLoaded: typeof body.model_loaded === 'boolean' ? body.model_loaded : null,
    users: null,
  };
  const info = await client.get('/recommendations/', timeoutMs);
  if (info.ok && isObject(info.body)) {
    check.users = readUsers(info.body.users);
    if (check.modelVersion === null && typeof info.body.model_version === 'string') check.modelVersion = info.body.model_version;
  }
  return check;
}

/** `users: { min, max, count }`; null when absent or not a usable range. */
export function readUsers(value: unknown): (UserRange & { count: number | null }) | null {
  if (!isObject(value) || typeof value.min !== 'number' || typeof value.max !== 'number') return null;
  try {
    const range = checkUserRange({ min: value.min, max: value.max }, 'the service\'s users');
    return { ...range, count: typeof value.count === 'number' ? value.count : null };
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
