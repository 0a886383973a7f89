import { mergedResult, type Aggregate } from './aggregate.js';
import { Watermark } from './watermark.js';
import { floorTo, paneSize, windowStartsContaining, type Window, type WindowSpec } from './windows.js';

export interface WindowOperatorConfig<In, S, Out> {
  windows: readonly WindowSpec[];
  aggregate: Aggregate<In, S, Out>;
  outOfOrdernessMs: number;
  /** Updated (non-final) results of an open window at most this often; default 1000 ms. */
  emitIntervalMs?: number;
}

export interface WindowResult<Out> {
  window: Window;
  result: Out;
  final: boolean;
  /**
   * On a final result: the windows of this type that events missed since the previous final result
   * of the type — an event that arrived after n of its windows of this type had their final result
   * adds n (it still counts in the others). Summed over a window type's final results it is every
   * missed (event, window) pair exactly once; for a tumbling type, every event late for it.
   */
  lateEvents: number;
  /**
   * The watermark and the newest event time when the result was computed (-Infinity before any
   * event). For a final result that is when its window closed — decided by the events alone, so a
   * replay after a crash gives the same figures.
   */
  watermark: number;
  maxEventTime: number;
}

export interface OperatorSnapshot {
  panes: [number, unknown][];
  watermark: ReturnType<Watermark['toJSON']>;
  finalizedUpTo: number | null;
  pendingLate: Record<string, number>;
  events: number;
  late: number;
  /** Absent in checkpoints written before late events could count in open windows (then 0). */
  lateCounted?: number;
}

/**
 * What `add` did with an event: counted in all its windows; late for some (their final results
 * were out) but counted in the others, still open; late for all of them, counted nowhere.
 */
export const Arrival = { onTime: 0, partlyLate: 1, late: 2 } as const;
export type Arrival = (typeof Arrival)[keyof typeof Arrival];

/**
 * Keeps one aggregate state per pane (see `paneSize`) and turns them into window results as the
 * watermark moves: an updated result for open windows at most once per emit interval, and one
 * final result per window when the watermark passes its end. Pure: time comes in as arguments.
 *
 * Lateness is per window, as in Flink and Kafka Streams: an event counts in every window of it
 * that has not had its final result yet — even when it is behind the watermark — and is late only
 * for the windows that have. A late event (late for at least one window) goes to `<topic>.late`
 * once; each window type's `lateEvents` counts the windows of that type it missed.
 */
export class WindowOperator<In, S, Out> {
  readonly paneMs: number;
  private panes = new Map<number, S>();
  private dirty = new Set<number>();
  private watermark: Watermark;
  /** Every window ending at or before this has had its final result. */
  private finalizedUpTo = -Infinity;
  private pendingLate = new Map<string, number>();
  private lastUpdateAt = -Infinity;
  /** Final results computed but not yet taken by `takeFinals`. */
  private ready: WindowResult<Out>[] = [];
  /** The watermark at which the next window end is passed. */
  private nextFinalAt = -Infinity;
  /**
   * The pane the previous event went to: consecutive events mostly share one, which then needs no
   * lookup and is already marked dirty. Forgotten whenever panes or the dirty set change.
   */
  private lastPane = NaN;
  private lastState: S | undefined = undefined;
  /**
   * Since the pipeline started: events counted in at least one window; events late for at least
   * one window (what `<topic>.late` holds); and events that were both (late for some windows,
   * counted in others). Valid events taken = events + late − lateCounted.
   */
  events = 0;
  late = 0;
  lateCounted = 0;

  constructor(private readonly config: WindowOperatorConfig<In, S, Out>) {
    if (config.windows.length === 0) throw new Error('a window operator needs at least one window');
    const names = new Set(config.windows.map((w) => w.name));
    if (names.size !== config.windows.length) throw new Error('window names must be unique');
    this.paneMs = paneSize(config.windows);
    this.watermark = new Watermark(config.outOfOrdernessMs);
  }

  /**
   * Adds an event at its event time to every window of it not yet final. Says whether it was on
   * time for all of them, late for some (counted in the others) or late for all.
   */
  add(input: In, eventTime: number): Arrival {
    let arrival: Arrival = Arrival.onTime;
    // Every window holding an event at or after finalizedUpTo ends after it: none is final. Behind
    // it, look at each window (rare: only out-of-order events take this path).
    if (eventTime < this.finalizedUpTo) {
      arrival = this.recordMissed(eventTime);
      if (arrival === Arrival.late) return arrival;
    }
    const pane = floorTo(eventTime, this.paneMs);
    let state = this.lastState;
    if (pane !== this.lastPane || state === undefined) {
      state = this.panes.get(pane);
      if (state === undefined) {
        state = this.config.aggregate.create();
        this.panes.set(pane, state);
      }
      this.dirty.add(pane);
      this.lastPane = pane;
      this.lastState = state;
    }
    this.config.aggregate.add(state, input);
    this.events++;
    this.watermark.observe(eventTime);
    // Close windows the moment the watermark passes their end, not when the caller next asks:
    // which final result a late event is attributed to must not depend on how input was batched.
    if (this.watermark.current() >= this.nextFinalAt) this.closeDue();
    return arrival;
  }

  /**
   * For an event behind `finalizedUpTo`: counts the windows of each type it missed (final already)
   * towards that type's next final result, and the event as late when it missed any.
   */
  private recordMissed(eventTime: number): Arrival {
    let missed = 0;
    let open = false;
    for (const spec of this.config.windows) {
      let n = 0;
      for (const start of windowStartsContaining(spec, eventTime)) {
        if (start + spec.sizeMs <= this.finalizedUpTo) n++;
        else open = true;
      }
      if (n > 0) this.pendingLate.set(spec.name, (this.pendingLate.get(spec.name) ?? 0) + n);
      missed += n;
    }
    if (missed === 0) return Arrival.onTime;
    this.late++;
    if (!open) return Arrival.late;
    this.lateCounted++;
    return Arrival.partlyLate;
  }

  /** Valid events taken since the pipeline started, late or not. */
  taken(): number {
    return this.events + this.late - this.lateCounted;
  }

  /** Final results that became due since the last call, oldest end first. */
  takeFinals(): WindowResult<Out>[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  currentWatermark(): number {
    return this.watermark.current();
  }

  /** Every window ending at or before this has had its final result (-Infinity before any). */
  closedUpTo(): number {
    return this.finalizedUpTo;
  }

  maxEventTime(): number {
    return this.watermark.maxEventTime();
  }

  openPanes(): number {
    return this.panes.size;
  }

  /**
   * Computes the final results of every window the watermark has passed, oldest end first, then
   * drops the panes no open window needs.
   */
  private closeDue(): void {
    const wm = this.watermark.current();
    if (wm <= this.finalizedUpTo) return;
    const maxEventTime = this.watermark.maxEventTime();
    const due: Window[] = [];
    const seen = new Set<string>();
    for (const pane of this.panes.keys()) {
      for (const spec of this.config.windows) {
        for (const start of windowStartsContaining(spec, pane)) {
          const end = start + spec.sizeMs;
          if (end > wm || end <= this.finalizedUpTo) continue;
          const id = `${spec.name}@${start}`;
          if (seen.has(id)) continue;
          seen.add(id);
          due.push({ spec, start, end });
        }
      }
    }
    const order = new Map(this.config.windows.map((w, i) => [w.name, i]));
    due.sort((a, b) => a.end - b.end || order.get(a.spec.name)! - order.get(b.spec.name)!);
    for (const window of due) {
      const late = this.pendingLate.get(window.spec.name) ?? 0;
      this.pendingLate.set(window.spec.name, 0);
      this.ready.push({ window, result: this.resultOf(window), final: true, lateEvents: late, watermark: wm, maxEventTime });
    }
    this.finalizedUpTo = wm;
    this.nextFinalAt = floorTo(wm, this.paneMs) + this.paneMs;
    this.forgetLastPane();
    for (const pane of [...this.panes.keys()]) {
      if (this.config.windows.every((spec) => floorTo(pane, spec.slideMs) + spec.sizeMs <= wm)) {
        this.panes.delete(pane);
        this.dirty.delete(pane);
      }
    }
  }

  /** Updated results of open windows that changed, at most once per emit interval of `now`. */
  updates(now: number): WindowResult<Out>[] {
    if (this.dirty.size === 0 || now - this.lastUpdateAt < (this.config.emitIntervalMs ?? 1000)) return [];
    this.lastUpdateAt = now;
    const wm = this.watermark.current();
    const maxEventTime = this.watermark.maxEventTime();
    const windows = new Map<string, Window>();
    for (const pane of this.dirty) {
      for (const spec of this.config.windows) {
        for (const start of windowStartsContaining(spec, pane)) {
          const end = start + spec.sizeMs;
          if (end > wm) windows.set(`${spec.name}@${start}`, { spec, start, end });
        }
      }
    }
    this.dirty.clear();
    this.forgetLastPane();
    return [...windows.values()]
      .sort((a, b) => a.end - b.end || a.spec.name.localeCompare(b.spec.name))
      .map((window) => ({
        window,
        result: this.resultOf(window),
        final: false,
        lateEvents: this.pendingLate.get(window.spec.name) ?? 0,
        watermark: wm,
        maxEventTime,
      }));
  }

  /**
   * Input has been idle since before processing time `now`: move the watermark as far as can
   * honestly be closed — to `now` − the out-of-orderness at most, so that an event stamped at or
   * after that when input resumes is on time in all its windows, and never past `upTo`: by default
   * the end of the last window holding the newest event (nothing further would close). A partition
   * task passes the group's (the furthest over its partitions, `newestWindowEnd`), so an idle
   * partition follows the others instead of holding their windows back. Rounded down to a pane,
   * so it moves at most once a pane while input stays idle. Returns whether it moved: the new
   * watermark is state (checkpoint it), as it depends on the wall clock, not on the events.
   */
  advanceIdle(now: number, upTo = this.newestWindowEnd()): boolean {
    if (!Number.isFinite(upTo)) return false;
    const to = Math.min(floorTo(now - this.config.outOfOrdernessMs, this.paneMs), upTo);
    if (!(to > this.watermark.current())) return false;
    this.watermark.flushTo(to);
    this.closeDue();
    return true;
  }

  /**
   * Moves the watermark to `t` at least, closing the windows it passes: a partition task resumed
   * after its group ended (`--exit-when-idle`) takes the group's end, so events behind it are late
   * as they would be for one processor. Returns whether it moved.
   */
  advanceTo(t: number): boolean {
    if (!(t > this.watermark.current())) return false;
    this.watermark.flushTo(t);
    this.closeDue();
    return true;
  }

  /**
   * Input has ended (`--exit-when-idle`): move the watermark past every window holding the newest
   * event, so they all close now. Events that arrive later for those windows count as late.
   */
  closeAll(): void {
    const end = this.newestWindowEnd();
    if (!Number.isFinite(end)) return;
    this.watermark.flushTo(end);
    this.closeDue();
  }

  /** The end of the last window holding the newest event (-Infinity before the first). */
  newestWindowEnd(): number {
    const max = this.watermark.maxEventTime();
    if (!Number.isFinite(max)) return -Infinity;
    let end = -Infinity;
    for (const spec of this.config.windows) end = Math.max(end, floorTo(max, spec.slideMs) + spec.sizeMs);
    return end;
  }

  private forgetLastPane(): void {
    this.lastPane = NaN;
    this.lastState = undefined;
  }

  private resultOf(window: Window): Out {
    const agg = this.config.aggregate;
    if (window.end - window.start === this.paneMs) {
      const pane = this.panes.get(window.start);
      if (pane !== undefined) return agg.result(pane);
    }
    const states: S[] = [];
    for (let p = window.start; p < window.end; p += this.paneMs) {
      const pane = this.panes.get(p);
      if (pane !== undefined) states.push(pane);
    }
    return mergedResult(agg, states);
  }

  snapshot(): OperatorSnapshot {
    return {
      panes: [...this.panes].map(([start, state]) => [start, this.config.aggregate.toJSON(state)]),
      watermark: this.watermark.toJSON(),
      finalizedUpTo: Number.isFinite(this.finalizedUpTo) ? this.finalizedUpTo : null,
      pendingLate: Object.fromEntries(this.pendingLate),
      events: this.events,
      late: this.late,
      lateCounted: this.lateCounted,
    };
  }

  restore(snapshot: OperatorSnapshot): void {
    this.panes = new Map(snapshot.panes.map(([start, json]) => [start, this.config.aggregate.fromJSON(json)]));
    this.dirty = new Set();
    this.forgetLastPane();
    this.watermark = Watermark.fromJSON(this.config.outOfOrdernessMs, snapshot.watermark);
    this.finalizedUpTo = snapshot.finalizedUpTo ?? -Infinity;
    this.nextFinalAt = Number.isFinite(this.finalizedUpTo) ? floorTo(this.finalizedUpTo, this.paneMs) + this.paneMs : -Infinity;
    this.ready = [];
    this.pendingLate = new Map(Object.entries(snapshot.pendingLate));
    this.events = snapshot.events;
    this.late = snapshot.late;
    this.lateCounted = snapshot.lateCounted ?? 0;
  }
}
