/**
 * The services streamrec is configured to use: PostgreSQL (STREAMREC_POSTGRES_URL) and Redis
 * (STREAMREC_REDIS_URL) answer a query with a short timeout, a remote event log's servers take a
 * connection; an unconfigured one is skipped.
 */
import { parseLogUrl } from '../../log/log-url.js';
import { checkRedis } from '../../pipelines/commerce/redis-metrics.js';
import { checkPostgres } from '../../pipelines/commerce/warehouse.js';
import type { DoctorContext } from './doctor-context.js';
import { ok, problem, skipped, type Finding } from './finding.js';
import { tcpProbe } from './tcp-probe.js';

/** How long a service may take to answer. */
export const SERVICE_TIMEOUT_MS = 3000;

export async function checkServices(ctx: DoctorContext): Promise<Finding[]> {
  const { postgresUrl, redisUrl } = ctx.config;
  const [postgres, redis] = await Promise.all([
    postgresUrl === undefined
      ? skipped('service.postgresql', 'not configured (STREAMREC_POSTGRES_URL unset): the commerce shop and warehouse are embedded')
      : reach(postgresUrl, 5432, checkPostgres).then((r) => answer('service.postgresql', 'PostgreSQL', postgresUrl, '5432', r, 'STREAMREC_POSTGRES_URL', 'the commerce shop and warehouse are then embedded')),
    redisUrl === undefined
      ? skipped('service.redis', 'not configured (STREAMREC_REDIS_URL unset): the commerce pipeline writes no Redis keys')
      : reach(redisUrl, 6379, checkRedis).then((r) => answer('service.redis', 'Redis', redisUrl, '6379', r, 'STREAMREC_REDIS_URL', 'the commerce pipeline then writes no Redis keys')),
  ]);
  return [postgres, redis, await checkLogServers(ctx.config.log)];
}

/** A remote event log's servers (`--log` / STREAMREC_LOG) take a TCP connection each. */
async function checkLogServers(log: string): Promise<Finding> {
  let choice;
  try {
    choice = parseLogUrl(log);
  } catch (err) {
    return problem('service.log', (err as Error).message, 'correct --log / STREAMREC_LOG');
  }
  if (choice.kind === 'embedded') return skipped('service.log', 'the event log is embedded (SQLite, in the data dir); --log / STREAMREC_LOG can name a NATS or Kafka server');
  const failures = await Promise.all(
    choice.servers.map(async (server) => {
      const at = server.lastIndexOf(':');
      const why = await tcpProbe(server.slice(0, at).replace(/^\[|\]$/g, ''), Number(server.slice(at + 1)), SERVICE_TIMEOUT_MS);
      return why === null ? null : `${server}: ${why}`;
    }),
  );
  const down = failures.filter((f): f is string => f !== null);
  const what = choice.kind === 'nats' ? 'NATS JetStream' : 'Kafka';
  if (down.length === 0) return ok('service.log', `${what} answers at ${choice.servers.join(', ')} (the event log, prefix ${choice.prefix})`);
  return problem('service.log', `${what}, the event log, does not answer: ${down.join('; ')}`, `start ${what} there, or correct --log / STREAMREC_LOG`);
}

/**
 * 'ok' or why not: a TCP connection first (its error is plainer than a client's after its
 * retries), then the client's own query.
 */
async function reach(url: string, defaultPort: number, query: (url: string, timeoutMs: number) => Promise<string>): Promise<string> {
  let host: string;
  let port: number;
  try {
    const u = new URL(url);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = u.port === '' ? defaultPort : Number(u.port);
  } catch {
    return 'not a URL';
  }
  return (await tcpProbe(host, port, SERVICE_TIMEOUT_MS)) ?? (await query(url, SERVICE_TIMEOUT_MS));
}

function answer(name: string, what: string, url: string, defaultPort: string, result: string, variable: string, unsetMeans: string): Finding {
  const where = describeUrl(url, defaultPort);
  if (result === 'ok') return ok(name, `${what} answers at ${where}`);
  return problem(name, `${what} at ${where} (${variable}) does not answer: ${result}`, `start ${what} there, correct ${variable}, or unset it (${unsetMeans})`);
}

/** host:port/path of a URL, without its credentials. */
export function describeUrl(url: string, defaultPort: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || defaultPort}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return 'an unparseable URL';
  }
}
