import { STATUS_CODES } from 'node:http';

/** The one error answer's body: streamrec's `{statusCode, error, message}` and FastAPI's `detail` (the seed's clients read it), the message again. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  detail: string;
}

/** Every error answer: `error` is the status's reason phrase unless given. */
export function errorBody(statusCode: number, error: string | undefined, message: string): ErrorBody {
  return { statusCode, error: error ?? STATUS_CODES[statusCode] ?? 'Error', message, detail: message };
}
