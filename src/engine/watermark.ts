/**
 * Event-time progress: watermark = largest event time seen − the bounded out-of-orderness. It only
 * moves forward. Whether an event behind it still counts is the window operator's decision (it
 * counts in every window not yet final); `flushTo` lets an idle or finished input move it on
 * without more events.
 */
export class Watermark {
  private maxSeen = -Infinity;
  private forced = -Infinity;

  constructor(readonly outOfOrdernessMs: number) {
    if (!(outOfOrdernessMs >= 0)) throw new Error(`the out-of-orderness must be >= 0 ms, got ${outOfOrdernessMs}`);
  }

  /** Records an event time. */
  observe(eventTime: number): void {
    if (eventTime > this.maxSeen) this.maxSeen = eventTime;
  }

  current(): number {
    return Math.max(this.maxSeen - this.outOfOrdernessMs, this.forced);
  }

  /** The largest event time seen, or -Infinity before the first event. */
  maxEventTime(): number {
    return this.maxSeen;
  }

  /** Moves the watermark to at least `t` (idle input, or the end of input). */
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
