import http from 'node:http';
import https from 'node:https';
import { BadResponseError, classifyError, httpErrorType, RequestTimeoutError } from './errors.js';

/** What one GET came to. Times are `performance.now()` ms. */
export interface HttpOutcome {
  /** The HTTP status, or null when no answer came (refused, reset, timeout). */
  status: number | null;
  /** A 200 with a JSON body. */
  ok: boolean;
  /** The parsed body of a 200. */
  body?: unknown;
  /** The error type when not ok ("HTTP 503", "Timeout", "ECONNREFUSED", …). */
  error?: string;
  sentAt: number;
  endedAt: number;
}

export interface HttpClientOptions {
  /** Most requests on the wire at once (sockets of the keep-alive pool). */
  maxSockets: number;
  /** A request with no complete answer this long after it was sent fails as "Timeout". */
  timeoutMs: number;
}

/**
 * A keep-alive JSON GET client on node's http module: connections are reused (as a real frontend
 * would), the pool is bounded, and each request has one deadline for connect + answer + body.
 */
export class JsonHttpClient {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(baseUrl: string, private readonly options: HttpClientOptions) {
    this.base = parseBaseUrl(baseUrl);
    const tls = this.base.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
    this.agent = tls ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.request = tls ? https.request : http.request;
  }

  /** GETs `path` (with its query) relative to the base URL; never rejects. */
  get(path: string, timeoutMs = this.options.timeoutMs): Promise<HttpOutcome> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const sentAt = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: Omit<HttpOutcome, 'sentAt' | 'endedAt'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...outcome, sentAt, endedAt: performance.now() });
      };
      const fail = (err: unknown, status: number | null = null) => settle({ status, ok: false, error: classifyError(err) });
      const req = this.request(url, { agent: this.agent, method: 'GET', headers: { accept: 'application/json' } }, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => fail(err, status));
        // A body cut short ends in 'close' without 'end'.
        res.on('close', () => {
          if (!res.complete) fail(Object.assign(new Error('connection closed mid-answer'), { code: 'ECONNRESET' }), status);
        });
        res.on('end', () => {
          if (status !== 200) return settle({ status, ok: false, error: httpErrorType(status) });
          try {
            settle({ status, ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
          } catch {
            fail(new BadResponseError('the body is not JSON'), status);
          }
        });
      });
      // http.request never calls back synchronously, so settle() cannot run before this line.
      const timer = setTimeout(() => {
        // Settle first: destroying a request mid-body surfaces as a reset, but the cause is the deadline.
        fail(new RequestTimeoutError(timeoutMs));
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => fail(err));
      req.end();
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** An http(s) URL with a trailing slash, so relative paths resolve under any path prefix it has. */
export function parseBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RangeError(`not a URL: ${JSON.stringify(text)} (use e.g. http://localhost:8000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`the URL must be http:// or https://, got ${JSON.stringify(text)}`);
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  url.search = '';
  url.hash = '';
  return url;
}
