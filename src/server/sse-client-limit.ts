/**
 * How many event-stream connections the server holds at once, counted across all its SSE hubs:
 * each connection holds a socket and a queue, so the total is what is bounded, not each stream.
 */
export class SseClientLimit {
  private open = 0;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`SSE client limit must be a whole number ≥ 1, got ${max}`);
  }

  /** Connections held now. */
  get size(): number {
    return this.open;
  }

  /** Takes a place for one more connection; false when all `max` are taken. */
  tryTake(): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    return true;
  }

  /** Gives back a place taken by `tryTake` (once per connection). */
  release(): void {
    if (this.open > 0) this.open--;
  }
}
