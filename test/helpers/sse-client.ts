import http from 'node:http';

export interface ReceivedEvent {
  id: string | null;
  event: string;
  data: string;
  /** Epoch ms (sub-ms precision) when the event was parsed: comparable across processes. */
  receivedAt: number;
}

/** A minimal SSE client over node:http that records events and comment lines as they arrive. */
export function sseConnect(url: string, headers: Record<string, string> = {}) {
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  let retry: number | null = null;
  let buffer = '';
  let responseHeaders: http.IncomingHttpHeaders = {};
  const req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
    responseHeaders = res.headers;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const e: ReceivedEvent = { id: null, event: 'message', data: '', receivedAt: performance.timeOrigin + performance.now() };
        let isEvent = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('retry: ')) retry = Number(line.slice(7));
          else if (line.startsWith('id: ')) e.id = line.slice(4);
          else if (line.startsWith('event: ')) e.event = line.slice(7);
          else if (line.startsWith('data: ')) {
            e.data += line.slice(6);
            isEvent = true;
          }
        }
        if (isEvent) events.push(e);
      }
    });
  });
  req.on('error', () => {});
  return {
    events,
    comments,
    get retry() {
      return retry;
    },
    get headers() {
      return responseHeaders;
    },
    close: () => req.destroy(),
  };
}

export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The number in an SSE event id (`<runId>-<n>` → n), for checking order; NaN for another shape. */
export function eventNumber(id: string | null): number {
  const m = /^[0-9A-Za-z]+-(\d+)$/.exec(id ?? '');
  return m ? Number(m[1]) : NaN;
}
