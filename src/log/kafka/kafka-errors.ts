/**
 * kafkajs errors as `LogError`s that say which servers and what operation: a user sees
 * "could not reach the Kafka server(s) 10.0.0.5:9092 (append to orders[2])", not a bare
 * "Connection error: ECONNREFUSED".
 */
import { LogError } from '../types.js';

export async function kafkaCall<T>(servers: string[], what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw kafkaError(servers, what, error);
  }
}

export function kafkaError(servers: string[], what: string, error: unknown): LogError {
  if (error instanceof LogError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const where = servers.join(',');
  if (isConnectionError(error)) {
    return new LogError(`could not reach the Kafka server(s) ${where} (${what}): ${message}`, { cause: error });
  }
  return new LogError(`Kafka server(s) ${where}: ${what} failed: ${message}`, { cause: error });
}

/** The server answered that it does not implement the request (an API or version it lacks). */
export function isUnsupported(error: unknown): boolean {
  const text = errorText(error);
  return /does not support the requested API version|UNSUPPORTED_VERSION|not implemented/i.test(text);
}

function isConnectionError(error: unknown): boolean {
  return /KafkaJSConnectionError|Connection error|ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|Connection timeout|Failed to connect/i.test(errorText(error));
}

/** Name and message of the error and its causes (kafkajs wraps the real one in retry errors). */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    parts.push(e.name, e.message);
    e = (e as { cause?: unknown; originalError?: unknown }).originalError ?? e.cause;
  }
  return parts.join(' ');
}
