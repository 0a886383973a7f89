/**
 * Event-time progress: watermark = largest event time seen − the bounded out-of-orderness. An event with a time below the watermark is late. The watermark only moves
 * forward; `flushTo` lets an idle pipeline close its windows without waiting for more input.
 */
export class Watermark {
  private maxSeen = -Infinity;
  private forced = -Infinity;

  constructor(readonly outOfOrdernessMs: number) {
    if (!(outOfOrdernessMs >= 0)) throw new Error(`the out-of-orderness must be >= 0 ms, got ${outOfOrdernessMs}`);
  }

  /** Records an event time; returns true when the event is late (behind the watermark). */
  observe(eventTime: number): boolean {
    if (eventTime < this.current()) return true;
    if (eventTime > this.maxSeen) this.maxSeen = eventTime;
    return false;
  }

  current(): number {
    return Math.max(this.maxSeen - this.outOfOrdernessMs, this.forced);
  }

  /** The largest event time seen, or -Infinity before the first event. */
  maxEventTime(): number {
    return this.maxSeen;
  }

  /** Moves the watermark to at least `t` (idle close); later events before `t` count as late. */
  flushTo(t: number): void {
    if (t > this.forced) this.forced = t;
  }

  toJSON(): { maxSeen: number | null; forced: number | null } {
    return { maxSeen: finite(this.maxSeen), forced: finite(this.forced) };
  }

  static fromJSON(outOfOrdernessMs: number, json: { maxSeen: number | null; forced: number | null }): Watermark {
    const w = new Watermark(outOfOrdernessMs);
    w.maxSeen = json.maxSeen ?? -Infinity;
    w.forced = json.forced ?? -Infinity;
    return w;
  }
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
