// Why the service refuses a request. The codes are the service's own words; what HTTP answers
// for each is decided here, once, as the status the shared error model carries.
import { StreamrecError, type HttpStatus } from '../../util/errors.js';

const STATUS = {
  /** A parameter the service cannot serve (an unknown or unloaded model, an unknown genre, bad ids). */
  'bad-request': 400,
  /** A movie neither the catalogue nor the model knows. */
  'unknown-movie': 404,
  /** No model is loaded yet. */
  'no-model': 503,
} as const satisfies Record<string, HttpStatus>;

export type RecommendErrorCode = keyof typeof STATUS;

/** A request the service refuses: user-facing, with a message naming what was wrong. */
export class RecommendError extends StreamrecError {
  override name = 'RecommendError';
  declare readonly code: RecommendErrorCode;

  constructor(code: RecommendErrorCode, message: string) {
    super(message, { code, status: STATUS[code] });
  }
}
