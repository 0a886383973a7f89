/**
 * The one error model. Every error streamrec raises on purpose is a `StreamrecError`: a stable
 * `code` (what scripts and tests match on), an optional HTTP status (what the server answers),
 * and whether the message is meant for the user as is. The CLI prints a user-facing message as
 * one line (exit 1) and anything else as an internal error with its stack (exit 70); the server
 * answers `httpStatus` with the message for a user-facing error, and 500 without details
 * otherwise — a 500 is never the client's doing, so even a user-facing one (a log or catalogue
 * problem, meant for whoever runs the server) goes to the server log, not to the client.
 */

/** HTTP statuses an error may carry. */
export type HttpStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;

export interface StreamrecErrorOptions {
  /** Stable, kebab-case: `bad-config`, `no-model`, `log-busy` … */
  code: string;
  /** What the HTTP layer answers; without one, 400 for a user-facing error, else 500. */
  status?: HttpStatus;
  /** Whether the message can be shown to the user as it is (default true). */
  userFacing?: boolean;
  cause?: unknown;
}

/** Marks both kinds of StreamrecError (see `StreamrecRangeError`); global so copies of this module agree. */
const BRAND = Symbol.for('streamrec.StreamrecError');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's base constructor must take any arguments
type ErrorConstructor = new (...args: any[]) => Error;

/**
 * The fields and `httpStatus` of a StreamrecError on top of any Error class: written once, for
 * the two bases we need (Error, and RangeError for callers that check `instanceof RangeError`).
 */
function withStreamrecFields<B extends ErrorConstructor>(Base: B) {
  return class extends Base {
    readonly [BRAND] = true;
    readonly code: string;
    readonly status: HttpStatus | undefined;
    readonly userFacing: boolean;

    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see ErrorConstructor
    constructor(...args: any[]) {
      const [message, options] = args as [string, StreamrecErrorOptions];
      super(message, options.cause === undefined ? undefined : { cause: options.cause });
      this.code = options.code;
      this.status = options.status;
      this.userFacing = options.userFacing ?? true;
    }

    /** The status the HTTP layer answers with. */
    get httpStatus(): HttpStatus {
      return this.status ?? (this.userFacing ? 400 : 500);
    }
  };
}

export class StreamrecError extends withStreamrecFields(Error) {
  override name = 'StreamrecError';

  constructor(message: string, options: StreamrecErrorOptions) {
    super(message, options);
  }

  /**
   * `x instanceof StreamrecError` also holds for a `StreamrecRangeError`; subclasses keep the
   * ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== StreamrecError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}

/**
 * A StreamrecError that is also a `RangeError`, for a bad argument whose callers already check
 * `instanceof RangeError`. It has the same fields and `httpStatus`, and `instanceof StreamrecError`
 * holds for it.
 */
export class StreamrecRangeError extends withStreamrecFields(RangeError) {
  override name = 'StreamrecRangeError';

  constructor(message: string, options: StreamrecErrorOptions) {
    super(message, options);
  }
}

/** A mistake the user can fix (bad flag, missing file, bad setting): one line, exit code 1. */
export class UserError extends StreamrecError {
  override name = 'UserError';
  constructor(message: string, options: Partial<StreamrecErrorOptions> = {}) {
    super(message, { code: 'user-error', ...options, userFacing: true });
  }
}

/** Whether err is one of ours and meant for the user. */
export function isUserFacing(err: unknown): err is StreamrecError {
  return err instanceof StreamrecError && err.userFacing;
}

/**
 * Not now, maybe later (HTTP 429 or 503): the server answers with a `Retry-After` header of
 * `retryAfterSeconds` beside the error body. A client's request rate over its limit, or a log that
 * cannot take writes (full disk, read-only file, closed log).
 */
export class RetryLaterError extends StreamrecError {
  override name = 'RetryLaterError';
  readonly retryAfterSeconds: number;
  constructor(message: string, options: { code: string; status: 429 | 503; retryAfterSeconds: number; cause?: unknown }) {
    super(message, { code: options.code, status: options.status, cause: options.cause });
    this.retryAfterSeconds = Math.max(1, Math.ceil(options.retryAfterSeconds));
  }
}
