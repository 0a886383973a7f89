import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from './error-body.js';
import type { SseClientLimit } from './sse-client-limit.js';

export interface SseEvent {
  /** The event's number in this hub's run (1, 2, …); on the wire, `id: <runId>-<id>`. */
  id: number;
  /** The event's name; null for an unnamed event (no `event:` line: it reaches EventSource's `onmessage`). */
  event: string | null;
  /** Already serialised (JSON) data, one line. */
  data: string;
}

export interface SseHubOptions {
  /** Events kept for Last-Event-ID replay. */
  ringSize?: number;
  heartbeatMs?: number;
  /**
   * A heartbeat clients can see (an unnamed `data:` message, e.g. the seed API's
   * `{"type": "heartbeat"}`), sent every `heartbeatMessageMs` to the clients connected then: it
   * takes no event id and is not kept for replay, so it never pushes real events out of the ring.
   */
  heartbeatMessage?: () => unknown;
  heartbeatMessageMs?: number;
  /** What the browser waits before reconnecting. */
  retryMs?: number;
  /** A client with more than this many bytes waiting (it stopped reading) is dropped. */
  maxQueuedBytes?: number;
  onDrop?: (info: { clientId: number; queuedBytes: number }) => void;
  /**
   * What every event id starts with (`<runId>-<n>`), so a Last-Event-ID from another server run
   * is told apart from this run's ids (it gets a snapshot, never this run's events); default a
   * random one per hub. A server passes one for all its hubs.
   */
  runId?: string;
  /** The connection limit shared by the server's hubs; over it, `attach` answers 503. */
  limit?: SseClientLimit;
  /** The Retry-After (seconds) of that 503 (default 5). */
  limitRetryAfterS?: number;
}

interface Client {
  id: number;
  res: ServerResponse;
  queue: string[];
  queuedBytes: number;
  paused: boolean;
}

/** A fresh run id: 8 hex digits, random, so two runs of a server (or two servers) differ. */
export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Server-Sent Events to many clients: every event gets an increasing `id:` (prefixed with the
 * run's id); the last events are kept in a ring so a client that reconnects with Last-Event-ID
 * gets what it missed; a comment heartbeat keeps proxies from closing idle streams. A client
 * whose socket stops draining gets its events queued (never blocking the others), and is dropped
 * once too far behind. With a shared `limit`, a connection over it is answered 503.
 */
export class SseHub {
  private readonly ring: SseEvent[] = [];
  private readonly clients = new Map<number, Client>();
  private nextEventId = 1;
  private nextClientId = 1;
  private readonly heartbeats: NodeJS.Timeout[] = [];
  private readonly ringSize: number;
  private readonly retryMs: number;
  private readonly maxQueuedBytes: number;
  readonly runId: string;

  constructor(private readonly options: SseHubOptions = {}) {
    this.runId = options.runId ?? newRunId();
    if (!/^[0-9A-Za-z]+$/.test(this.runId)) throw new RangeError(`SSE run id must be letters and digits, got ${JSON.stringify(this.runId)}`);
    this.ringSize = options.ringSize ?? 1000;
    this.retryMs = options.retryMs ?? 3000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 4 * 1024 * 1024;
    this.heartbeats.push(setInterval(() => this.broadcast(': heartbeat\n\n'), options.heartbeatMs ?? 15_000));
    const message = options.heartbeatMessage;
    if (message) this.heartbeats.push(setInterval(() => this.broadcast(`data: ${JSON.stringify(message())}\n\n`), options.heartbeatMessageMs ?? 30_000));
    for (const t of this.heartbeats) t.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** The number the last published event got (0 before any); on the wire `<runId>-<n>`. */
  get lastId(): number {
    return this.nextEventId - 1;
  }

  /** Sends an event (null: unnamed, a plain `message`) to every client and keeps it for replay; returns its number. */
  publish(event: string | null, data: unknown): number {
    const e: SseEvent = { id: this.nextEventId++, event, data: JSON.stringify(data) };
    this.ring.push(e);
    if (this.ring.length > this.ringSize) this.ring.shift();
    this.broadcast(this.format(e));
    return e.id;
  }

  /** The wire id of event number `n` of this run. */
  eventId(n: number): string {
    return `${this.runId}-${n}`;
  }

  /**
   * Takes over a response as an event stream. With a Last-Event-ID of this run still in the ring,
   * the client gets the events after it; otherwise (first connect, too old, another server run,
   * or not an id of ours) `initial()`'s events, stamped with the current id so the next reconnect
   * resumes after them. Over the shared connection limit it answers 503 (with Retry-After and the
   * error body) and returns null.
   */
  attach(req: IncomingMessage, res: ServerResponse, initial: () => { event: string | null; data: unknown }[]): number | null {
    const limit = this.options.limit;
    if (limit && !limit.tryTake()) {
      refuse(res, limit.max, this.options.limitRetryAfterS ?? 5);
      return null;
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const client: Client = { id: this.nextClientId++, res, queue: [], queuedBytes: 0, paused: false };
    this.clients.set(client.id, client);
    const remove = () => this.forget(client);
    res.on('close', remove);
    res.on('error', remove);
    res.on('drain', () => this.flush(client));

    let head = `retry: ${this.retryMs}\n\n`;
    const replay = this.replayAfter(req.headers['last-event-id']);
    if (replay) {
      for (const e of replay) head += this.format(e);
    } else {
      for (const e of initial()) head += this.format({ id: this.lastId, event: e.event, data: JSON.stringify(e.data) });
    }
    this.send(client, head);
    return client.id;
  }

  /** Events after the given Last-Event-ID, or null when it is absent, not of this run, or no longer in the ring. */
  private replayAfter(header: string | string[] | undefined): SseEvent[] | null {
    if (typeof header !== 'string') return null;
    const dash = header.lastIndexOf('-');
    // Another run's id (a server restart), an old bare number, or anything else: start over.
    if (dash < 0 || header.slice(0, dash) !== this.runId || !/^\d{1,15}$/.test(header.slice(dash + 1))) return null;
    const last = Number(header.slice(dash + 1));
    if (last > this.lastId) return null; // not an id this run gave out
    const oldest = this.ring[0]?.id ?? this.nextEventId;
    if (last < oldest - 1) return null; // fell out of the ring: start over from a snapshot
    return this.ring.filter((e) => e.id > last);
  }

  /** Stops tracking a client (once: close and error may both come) and frees its place under the limit. */
  private forget(client: Client): void {
    if (this.clients.delete(client.id)) this.options.limit?.release();
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients.values()) this.send(client, chunk);
  }

  private send(client: Client, chunk: string): void {
    if (client.paused) {
      client.queue.push(chunk);
      client.queuedBytes += chunk.length;
      if (client.queuedBytes > this.maxQueuedBytes) this.drop(client);
      return;
    }
    if (!client.res.write(chunk)) client.paused = true;
  }

  private flush(client: Client): void {
    client.paused = false;
    while (client.queue.length > 0 && !client.paused) {
      const chunk = client.queue.shift()!;
      client.queuedBytes -= chunk.length;
      if (!client.res.write(chunk)) client.paused = true;
    }
  }

  private drop(client: Client): void {
    this.forget(client);
    this.options.onDrop?.({ clientId: client.id, queuedBytes: client.queuedBytes });
    client.queue = [];
    client.res.destroy();
  }

  close(): void {
    for (const t of this.heartbeats) clearInterval(t);
    for (const client of [...this.clients.values()]) {
      this.forget(client);
      client.res.end();
    }
  }

  private format(e: SseEvent): string {
    const id = this.eventId(e.id);
    return e.event === null ? `id: ${id}\ndata: ${e.data}\n\n` : `id: ${id}\nevent: ${e.event}\ndata: ${e.data}\n\n`;
  }
}

/** The 503 of a connection over the limit: the one error body, and when to try again. */
function refuse(res: ServerResponse, max: number, retryAfterS: number): void {
  const message = `too many live event streams: this server holds at most ${max} at once (STREAMREC_SSE_MAX_CLIENTS or --sse-max-clients); retry in ${retryAfterS} s`;
  const body = JSON.stringify(errorBody(503, undefined, message));
  res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(retryAfterS), 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
