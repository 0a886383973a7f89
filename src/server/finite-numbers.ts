import type { FastifyRequest } from 'fastify';
import { StreamrecError } from '../util/errors.js';

/**
 * A preHandler hook: refuses a query or path parameter that validated to a number that is not
 * finite. Fastify's validator (ajv, coercing types) turns "Infinity", "-Infinity" and "1e309"
 * into ±Infinity and then checks `minimum`/`maximum` on finite numbers only, so `?n=Infinity`
 * passed `maximum: 100` (and made a typed array of that length: a 500).
 */
export async function rejectNonFiniteNumbers(req: FastifyRequest): Promise<void> {
  check('querystring', req.query);
  check('params', req.params);
}

function check(where: string, values: unknown): void {
  if (typeof values !== 'object' || values === null) return;
  for (const [name, value] of Object.entries(values)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw new StreamrecError(`${where}/${name} must be a finite number, got ${v}`, { code: 'bad-request', status: 400 });
      }
    }
  }
}
