/**
 * Server-Sent Events with named events: `connectEventStream` for any stream (the Clicks page's
 * `GET /clicks/stream`), `connectMetricsStream` for the dashboard's
 * `GET /metrics/stream?format=events`. EventSource reconnects by itself (sending Last-Event-ID);
 * this adds what it does not do: reopening after it gives up (an HTTP error closes it for good),
 * a watchdog for a silent connection, and one status for the header.
 */
import type { HealthResponse, MetricsRecord, StreamSnapshot } from '../../src/server/metrics-contract.js';
import type { ConnectionStatus } from './state.js';

export interface StreamHandlers {
  snapshot(s: StreamSnapshot): void;
  metrics(r: MetricsRecord): void;
  health(h: HealthResponse): void;
  status(s: ConnectionStatus): void;
}

export interface StreamOptions {
  /**
   * Reopen when nothing arrived for this long (health comes about once a second); 0 turns the
   * watchdog off, for a stream that only speaks on change (its heartbeats are comments, which
   * EventSource does not report).
   */
  silenceMs?: number;
  minRetryMs?: number;
  maxRetryMs?: number;
}

export interface StreamConnection {
  close(): void;
}

/** Each named event's JSON payload goes to its handler; `status` hears the connection state. */
export interface EventHandlers<E> {
  events: { [K in keyof E]: (value: E[K]) => void };
  status(s: ConnectionStatus): void;
}

function parse<T>(event: Event, name: string): T | null {
  const data = (event as MessageEvent<unknown>).data;
  if (typeof data !== 'string') return null;
  try {
    return JSON.parse(data) as T;
  } catch {
    console.warn(`streamrec: ignored a malformed "${name}" event`);
    return null;
  }
}

/** Opens `url` and keeps it open; named events carry JSON (`E` maps event names to their payloads). */
export function connectEventStream<E>(url: string, handlers: EventHandlers<E>, options: StreamOptions = {}): StreamConnection {
  const silenceMs = options.silenceMs ?? 15_000;
  const minRetry = options.minRetryMs ?? 1_000;
  const maxRetry = options.maxRetryMs ?? 15_000;
  let es: EventSource | null = null;
  let everOpened = false;
  let retryMs = minRetry;
  let retryTimer: number | undefined;
  let lastMessage = Date.now();
  let status: ConnectionStatus | null = null;
  let closed = false;

  const setStatus = (s: ConnectionStatus): void => {
    if (s === status) return;
    status = s;
    handlers.status(s);
  };
  const waiting = (): ConnectionStatus => (everOpened ? 'reconnecting' : 'connecting');

  const guard = <T>(name: string, fn: (v: T) => void) => (event: Event): void => {
    lastMessage = Date.now();
    const value = parse<T>(event, name);
    if (value === null) return;
    try {
      fn(value);
    } catch (err) {
      // A rendering bug must not take the stream down with it.
      console.warn(`streamrec: failed to apply a "${name}" event`, err);
    }
  };

  const reopenLater = (): void => {
    es?.close();
    es = null;
    setStatus(waiting());
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(open, retryMs);
    retryMs = Math.min(maxRetry, retryMs * 2);
  };

  function open(): void {
    if (closed) return;
    lastMessage = Date.now();
    setStatus(waiting());
    const source = new EventSource(url);
    es = source;
    source.onopen = () => {
      everOpened = true;
      retryMs = minRetry;
      lastMessage = Date.now();
      setStatus('live');
    };
    source.onerror = () => {
      if (source !== es) return;
      // CONNECTING: the browser retries by itself. CLOSED: it gave up (e.g. HTTP 502), so we retry.
      if (source.readyState === EventSource.CLOSED) reopenLater();
      else setStatus(waiting());
    };
    for (const name of Object.keys(handlers.events) as (keyof E & string)[]) {
      const handler = handlers.events[name];
      source.addEventListener(name, guard<E[typeof name]>(name, (v) => handler(v)));
    }
    // Any message means the connection works, even if the open event was missed.
    source.addEventListener('message', () => { lastMessage = Date.now(); });
  }

  const watchdog = silenceMs > 0
    ? window.setInterval(() => {
      if (status === 'live' && Date.now() - lastMessage > silenceMs) reopenLater();
    }, 1_000)
    : undefined;

  open();
  return {
    close(): void {
      closed = true;
      window.clearInterval(watchdog);
      window.clearTimeout(retryTimer);
      es?.close();
      es = null;
    },
  };
}

/** The dashboard's stream: `snapshot` first (on every connection), then `metrics` and `health`. */
export function connectMetricsStream(url: string, handlers: StreamHandlers, options: StreamOptions = {}): StreamConnection {
  return connectEventStream<{ snapshot: StreamSnapshot; metrics: MetricsRecord; health: HealthResponse }>(url, {
    events: {
      snapshot: (v) => handlers.snapshot(v),
      metrics: (v) => handlers.metrics(v),
      health: (v) => handlers.health(v),
    },
    status: (s) => handlers.status(s),
  }, options);
}
