/**
 * The load generator of the serve bench, in its own process: autocannon over a rotating list of
 * request paths (one user after another), so the server answers many users, not one.
 */
import autocannon from 'autocannon';

export interface LoadJob {
  base: string;
  seconds: number;
  connections: number;
  paths: string[];
}

process.once('message', (job: LoadJob) => {
  let next = 0;
  void autocannon({
    url: job.base,
    connections: job.connections,
    pipelining: 1,
    duration: job.seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: job.paths[next++ % job.paths.length]! }) }],
  }).then((result) => {
    process.send!({
      requests: result.requests.total,
      rps: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
    }, () => process.exit(0));
  });
});
