/**
 * The API port: free (a server can listen there), taken by a streamrec server (its health,
 * dashboard and SSE stream answer), or taken by something else (a server would fail to start).
 */
import { request } from 'node:http';
import { createServer } from 'node:net';
import { pipelineNames } from '../../pipelines/registry.js';
import type { DoctorContext } from './doctor-context.js';
import { ok, problem, type Finding } from './finding.js';
import { tcpProbe } from './tcp-probe.js';

const HOST = '127.0.0.1';
export const PORT_TIMEOUT_MS = 3000;

export async function checkPort(ctx: DoctorContext): Promise<Finding> {
  const { port } = ctx;
  const where = `${HOST}:${port}`;
  const refused = await tcpProbe(HOST, port, PORT_TIMEOUT_MS);
  if (refused !== null) {
    const listen = await tryListen(port);
    if (listen === 'free') return ok('port', `${where} is free: \`streamrec up\` can listen there`);
    if (listen === 'denied') return problem('port', `listening on port ${port} needs privileges this user lacks`, 'choose a port above 1023: STREAMREC_PORT or --port');
  }
  const moveOn = `stop it (\`ss -ltnp 'sport = :${port}'\` shows which program), or give streamrec another port: STREAMREC_PORT=${port + 1} or --port ${port + 1}`;
  const name = pipelineNames()[0] ?? 'ratings';
  const health = await httpGet(`http://${where}/pipelines/${name}/health`).catch((err: Error) => err);
  const streamrec = !(health instanceof Error) && health.status === 200 && isHealth(health.body);
  if (!streamrec) {
    const said = health instanceof Error ? health.message : `GET /pipelines/${name}/health answered ${health.status}`;
    return problem('port', `${where} is in use by another program (${said}): a streamrec server cannot listen there`, moveOn);
  }
  const { status, consumer_lag: lag } = JSON.parse(health.body) as { status: string; consumer_lag: number };
  const failures: string[] = [];
  const page = await httpGet(`http://${where}/`).catch((err: Error) => err);
  if (page instanceof Error || page.status !== 200 || !page.contentType.startsWith('text/html')) {
    failures.push(`the dashboard (GET /: ${page instanceof Error ? page.message : `${page.status} ${page.contentType}`})`);
  }
  const sse = await httpGet(`http://${where}/pipelines/${name}/stream`, (text) => /^event: ?snapshot$/m.test(text)).catch((err: Error) => err);
  if (sse instanceof Error || !/^event: ?snapshot$/m.test(sse.body)) {
    failures.push(`the SSE stream (GET /pipelines/${name}/stream sent no snapshot${sse instanceof Error ? `: ${sse.message}` : ''})`);
  }
  if (failures.length > 0) {
    return problem('port', `the streamrec server on ${where} answers its health route but not ${failures.join(' nor ')}`, 'restart it (`streamrec up` or `streamrec serve`) and read what it prints');
  }
  return ok('port', `a streamrec server answers on ${where}: ${name} ${status}, lag ${lag}; dashboard and SSE answer`);
}

function isHealth(body: string): boolean {
  try {
    const h = JSON.parse(body) as Record<string, unknown>;
    return typeof h.status === 'string' && typeof h.consumer_lag === 'number';
  } catch {
    return false;
  }
}

function tryListen(port: number): Promise<'free' | 'in-use' | 'denied'> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EACCES' ? 'denied' : 'in-use'));
    server.listen({ host: HOST, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * A GET without keep-alive (the doctor exits right after), read until the end, or until `enough`
 * says the body so far will do (a stream that never ends), or the timeout.
 */
function httpGet(url: string, enough?: (body: string) => boolean): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', accept: '*/*' }, timeout: PORT_TIMEOUT_MS }, (res) => {
      let body = '';
      const answer = () => ({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 1 << 20) body += chunk;
        if (enough?.(body)) {
          resolve(answer());
          req.destroy();
        }
      });
      res.on('end', () => resolve(answer()));
      res.on('error', () => resolve(answer()));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PORT_TIMEOUT_MS / 1000}s`)));
    req.on('error', reject);
    req.end();
  });
}
