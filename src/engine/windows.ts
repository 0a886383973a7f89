/**
 * Event-time windows, named as Kafka Streams and Flink name them: tumbling (fixed, non-overlapping)
 * and sliding/hopping (fixed size, advancing by a slide). Windows are [start, end) in epoch ms,
 * aligned to the epoch.
 */
export interface WindowSpec {
  /** The name output records carry, e.g. `tumbling_1min`. */
  name: string;
  sizeMs: number;
  /** Equal to sizeMs for a tumbling window. */
  slideMs: number;
}

export interface Window {
  spec: WindowSpec;
  start: number;
  end: number;
}

export function tumbling(name: string, sizeMs: number): WindowSpec {
  return validate({ name, sizeMs, slideMs: sizeMs });
}

export function sliding(name: string, sizeMs: number, slideMs: number): WindowSpec {
  return validate({ name, sizeMs, slideMs });
}

function validate(spec: WindowSpec): WindowSpec {
  if (!(Number.isInteger(spec.sizeMs) && spec.sizeMs > 0)) throw new Error(`window ${spec.name}: size must be a positive number of ms`);
  if (!(Number.isInteger(spec.slideMs) && spec.slideMs > 0 && spec.slideMs <= spec.sizeMs)) {
    throw new Error(`window ${spec.name}: slide must be positive and at most the size`);
  }
  if (spec.sizeMs % spec.slideMs !== 0) throw new Error(`window ${spec.name}: size must be a multiple of the slide`);
  return spec;
}

/** Start times of every window of `spec` that contains time `t`, oldest first. */
export function windowStartsContaining(spec: WindowSpec, t: number): number[] {
  const last = floorTo(t, spec.slideMs);
  const starts: number[] = [];
  for (let s = last - spec.sizeMs + spec.slideMs; s <= last; s += spec.slideMs) starts.push(s);
  return starts;
}

/**
 * The pane length for a set of windows: the largest span that every window's boundaries fall on
 * (gcd of all sizes and slides). Each event updates one pane; a window's result is the merge of
 * its panes — so a 5-minute window sliding every minute costs one update per event, not five.
 */
export function paneSize(specs: readonly WindowSpec[]): number {
  let g = 0;
  for (const s of specs) g = gcd(gcd(g, s.sizeMs), s.slideMs);
  return g;
}

export function floorTo(t: number, step: number): number {
  return Math.floor(t / step) * step;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
