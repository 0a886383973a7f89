import http from 'node:http';
import net from 'node:net';

/** A request sent as written: the path is not normalised or re-encoded (`fetch` would resolve `..`). */
export interface RawRequest {
  method: string;
  /** The request target exactly as it goes on the wire, query included. */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body (empty for an event stream: it is closed as soon as it answers). */
  body: Buffer;
}

/**
 * Sends one request on a fresh connection and reads the whole answer; an event stream
 * (`text/event-stream`) is closed once its status and headers have arrived. Rejects on a
 * connection error or when no answer came within `timeoutMs`, naming the request.
 */
export function sendRaw(base: string, req: RawRequest, timeoutMs = 30_000): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    // A server may answer before it has read the whole body (413) and close the connection: the
    // answer counts, the write error after it does not.
    let answered: RawResponse | null = null;
    const r = http.request({
      host: url.hostname,
      port: url.port,
      method: req.method,
      path: req.path,
      // A body always goes with its length: Node sends a GET's body unframed otherwise.
      headers: req.body === undefined ? req.headers : { 'content-length': String(Buffer.byteLength(req.body)), ...req.headers },
      agent: false,
    }, (res) => {
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.alloc(0) });
        res.destroy();
        r.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      answered = { status: res.statusCode!, headers: res.headers, body: Buffer.alloc(0) };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ ...answered!, body: Buffer.concat(chunks) }));
      res.on('error', () => resolve({ ...answered!, body: Buffer.concat(chunks) }));
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms to ${req.method} ${req.path.slice(0, 200)}`)));
    r.on('error', (err) => {
      if (answered) resolve(answered);
      else reject(new Error(`${req.method} ${req.path.slice(0, 200)}: ${err.message}`));
    });
    r.end(req.body);
  });
}

/**
 * Writes `bytes` as they are on a fresh connection — for requests an HTTP client refuses to
 * send — and resolves with the first answer's status and body (status 0 when the server closed
 * the connection without one).
 */
export function sendBytes(base: string, bytes: string | Buffer, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(bytes));
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const at = text.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : 0, body: at >= 0 ? text.slice(at + 4) : '' });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', done);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(timeoutMs, () => socket.destroy());
  });
}
