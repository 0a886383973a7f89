/** The load generator of the clicks bench, in its own process: autocannon against one route. */
import autocannon from 'autocannon';

const [url, seconds, connections, method, body] = process.argv.slice(2);
const result = await autocannon({
  url: url!,
  connections: Number(connections),
  pipelining: 1,
  duration: Number(seconds),
  method: (method ?? 'GET') as 'GET' | 'POST',
  ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}),
});
process.send!({
  requests: result.requests.total,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors,
  non2xx: result.non2xx,
  statusCodes: result.statusCodeStats,
});
