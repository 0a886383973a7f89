/**
 * Small guards for aggregates' fromJSON: checkpoints are read back from disk, so a malformed
 * snapshot fails loudly with the aggregate's name instead of producing a corrupt state.
 */

export function jsonObject(json: unknown, what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${what}.fromJSON: expected an object, got ${describe(json)}`);
  }
  return json as Record<string, unknown>;
}

export function jsonArray(json: unknown, what: string): unknown[] {
  if (!Array.isArray(json)) throw new Error(`${what}.fromJSON: expected an array, got ${describe(json)}`);
  return json;
}

export function jsonNumber(json: unknown, what: string): number {
  if (typeof json !== 'number' || !Number.isFinite(json)) {
    throw new Error(`${what}.fromJSON: expected a finite number, got ${describe(json)}`);
  }
  return json;
}

/** A non-negative integer count. */
export function jsonCount(json: unknown, what: string): number {
  const n = jsonNumber(json, what);
  if (n < 0 || !Number.isInteger(n)) throw new Error(`${what}.fromJSON: expected a count, got ${n}`);
  return n;
}

export function jsonNumberOrNull(json: unknown, what: string): number | null {
  return json === null ? null : jsonNumber(json, what);
}

export function jsonKey(json: unknown, what: string): string | number {
  if (typeof json === 'string') return json;
  if (typeof json === 'number' && Number.isFinite(json)) return json;
  throw new Error(`${what}.fromJSON: expected a string or number key, got ${describe(json)}`);
}

function describe(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  return typeof json === 'string' ? JSON.stringify(json) : typeof json === 'object' ? 'an object' : String(json);
}
