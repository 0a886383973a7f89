import { SseHub, type SseHubOptions } from './sse-hub.js';

/** How often hubs left without clients are closed. */
const SWEEP_MS = 30_000;

/**
 * One SseHub per key — a stream per user, say — made when its first client connects and closed
 * once its last client has gone (a sweep), so publishing for a key nobody watches costs a map
 * lookup. The hubs share the options given (run id, connection limit, heartbeats).
 */
export class KeyedSseHubs<K> {
  private readonly hubs = new Map<K, SseHub>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SseHubOptions) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** The key's hub, made on first use. */
  hub(key: K): SseHub {
    let hub = this.hubs.get(key);
    if (!hub) this.hubs.set(key, (hub = new SseHub(this.options)));
    return hub;
  }

  /** Clients watching, all keys together. */
  get clients(): number {
    let n = 0;
    for (const hub of this.hubs.values()) n += hub.size;
    return n;
  }

  /** Sends an event to the key's clients (nothing when no one watches it). */
  publish(key: K, event: string, data: unknown): void {
    const hub = this.hubs.get(key);
    if (hub && hub.size > 0) hub.publish(event, data);
  }

  /** Sends an event to every watched key's clients. */
  broadcast(event: string, data: unknown): void {
    for (const hub of this.hubs.values()) if (hub.size > 0) hub.publish(event, data);
  }

  /** Closes the hubs with no client left. */
  sweep(): void {
    for (const [key, hub] of this.hubs) {
      if (hub.size > 0) continue;
      hub.close();
      this.hubs.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const hub of this.hubs.values()) hub.close();
    this.hubs.clear();
  }
}
