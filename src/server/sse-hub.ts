import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseEvent {
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
}

interface Client {
  id: number;
  res: ServerResponse;
  queue: string[];
  queuedBytes: number;
  paused: boolean;
}

/**
 * Server-Sent Events to many clients: every event gets an increasing `id:`; the last events are
 * kept in a ring so a client that reconnects with Last-Event-ID gets what it missed; a comment
 * heartbeat keeps proxies from closing idle streams. A client whose socket stops draining gets
 * its events queued (never blocking the others), and is dropped once too far behind.
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

  constructor(private readonly options: SseHubOptions = {}) {
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

  /** The id the last published event got (0 before any). */
  get lastId(): number {
    return this.nextEventId - 1;
  }

  /** Sends an event (null: unnamed, a plain `message`) to every client and keeps it for replay; returns its id. */
  publish(event: string | null, data: unknown): number {
    const e: SseEvent = { id: this.nextEventId++, event, data: JSON.stringify(data) };
    this.ring.push(e);
    if (this.ring.length > this.ringSize) this.ring.shift();
    this.broadcast(format(e));
    return e.id;
  }

  /**
   * Takes over a response as an event stream. With a Last-Event-ID still in the ring, the client
   * gets the events after it; otherwise (first connect, or too old) `initial()`'s events, stamped
   * with the current id so the next reconnect resumes after them.
   */
  attach(req: IncomingMessage, res: ServerResponse, initial: () => { event: string | null; data: unknown }[]): number {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    const client: Client = { id: this.nextClientId++, res, queue: [], queuedBytes: 0, paused: false };
    this.clients.set(client.id, client);
    const remove = () => this.clients.delete(client.id);
    res.on('close', remove);
    res.on('error', remove);
    res.on('drain', () => this.flush(client));

    let head = `retry: ${this.retryMs}\n\n`;
    const replay = this.replayAfter(req.headers['last-event-id']);
    if (replay) {
      for (const e of replay) head += format(e);
    } else {
      for (const e of initial()) head += format({ id: this.lastId, event: e.event, data: JSON.stringify(e.data) });
    }
    this.send(client, head);
    return client.id;
  }

  /** Events after the given Last-Event-ID, or null when it is absent or no longer in the ring. */
  private replayAfter(header: string | string[] | undefined): SseEvent[] | null {
    if (typeof header !== 'string' || !/^\d+$/.test(header)) return null;
    const last = Number(header);
    if (last > this.lastId) return null; // from another server run
    const oldest = this.ring[0]?.id ?? this.nextEventId;
    if (last < oldest - 1) return null; // fell out of the ring: start over from a snapshot
    return this.ring.filter((e) => e.id > last);
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
    this.clients.delete(client.id);
    this.options.onDrop?.({ clientId: client.id, queuedBytes: client.queuedBytes });
    client.queue = [];
    client.res.destroy();
  }

  close(): void {
    for (const t of this.heartbeats) clearInterval(t);
    for (const client of this.clients.values()) client.res.end();
    this.clients.clear();
  }
}

function format(e: SseEvent): string {
  return e.event === null ? `id: ${e.id}\ndata: ${e.data}\n\n` : `id: ${e.id}\nevent: ${e.event}\ndata: ${e.data}\n\n`;
}
