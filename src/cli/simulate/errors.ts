/** A request that got no complete answer within the timeout. */
export class RequestTimeoutError extends Error {
  override name = 'RequestTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** A 200 whose body is not the recommendations JSON (the request counts as failed). */
export class BadResponseError extends Error {
  override name = 'BadResponseError';
}

/** The error type of a non-200 answer, as the old simulator named it: "HTTP 503". */
export function httpErrorType(status: number): string {
  return `HTTP ${status}`;
}

/**
 * The error type a failed request is counted under in the summary: "Timeout", "Bad response",
 * a system error code such as "ECONNREFUSED" or "ECONNRESET", else the error's name. Types are
 * a small fixed vocabulary (never a free-form message), so the counts group.
 */
export function classifyError(err: unknown): string {
  if (err instanceof RequestTimeoutError) return 'Timeout';
  if (err instanceof BadResponseError) return 'Bad response';
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
    return err.name || 'Error';
  }
  return 'Error';
}
