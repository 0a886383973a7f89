/** The load generator of the api bench, in its own process: autocannon against one URL. */
import autocannon from 'autocannon';

const [url, seconds] = process.argv.slice(2);
const result = await autocannon({ url: url!, connections: 10, pipelining: 1, duration: Number(seconds) });
process.send!({
  requests: result.requests.total,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.errors,
  non2xx: result.non2xx,
});
