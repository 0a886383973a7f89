import type { EventCodec } from '../events/codec.js';
import type { Aggregate } from './aggregate.js';
import type { Window, WindowSpec } from './windows.js';

/** What a result record is built from, for a pipeline's `format`. */
export interface ResultContext {
  window: Window;
  final: boolean;
  lateEvents: number;
  /** Processing time of the emission, epoch ms. */
  emittedAt: number;
  /**
   * The watermark and the newest event time when the result was computed, epoch ms (null before
   * any event); for a final result, when its window closed.
   */
  watermark: number | null;
  maxEventTime: number | null;
}

/**
 * A streaming pipeline, declared as data plus small functions (the engine knows nothing about
 * what the events mean): read `source.topic`, take each event's event time, optionally enrich it
 * from a dimension table, aggregate it in every window of `windows`, and write one record per
 * window result to `output.topic`.
 */
export interface PipelineSpec<E, X, S, R> {
  name: string;
  source: { topic: string; codec: EventCodec<E> };
  eventTime: (event: E) => number;
  /** Joins an event with a dimension table in memory (e.g. a movie catalogue). */
  enrich: (event: E) => X;
  windows: readonly WindowSpec[];
  aggregate: Aggregate<X, S, R>;
  /**
   * Bounded out-of-orderness (Flink's term): the watermark trails the newest event time by this
   * much, so an event up to this far behind the newest still counts.
   */
  outOfOrdernessMs: number;
  /**
   * Input silent this long (processing time) is idle: the watermark may then follow the wall
   * clock (now − out-of-orderness at most, see `WindowOperator.advanceIdle`); with `exitWhenIdle`
   * it is the end of the input and every window closes.
   */
  idleTimeoutMs: number;
  /** Updated results of open windows at most this often (processing time). */
  emitIntervalMs: number;
  /**
   * How often the runner commits (outputs reach the output topic only then); default 1000 ms.
   * A runner's own `checkpointIntervalMs` wins. Live pipelines may want less (clicks: 100 ms).
   */
  checkpointIntervalMs?: number;
  output: {
    topic: string;
    format: (result: R, context: ResultContext) => Record<string, unknown>;
  };
  /**
   * Bump when the aggregate's state layout changes: a checkpoint written with another version is
   * refused instead of misread.
   */
  stateVersion: number;
}

/** The parts of a spec a checkpoint must agree with to be resumed. */
export function specFingerprint(spec: PipelineSpec<unknown, unknown, unknown, unknown>): Record<string, unknown> {
  return {
    name: spec.name,
    source: spec.source.topic,
    output: spec.output.topic,
    windows: spec.windows.map((w) => `${w.name}:${w.sizeMs}/${w.slideMs}`),
    // The key keeps its first name: checkpoints written before the rename must still match.
    allowedLatenessMs: spec.outOfOrdernessMs,
    stateVersion: spec.stateVersion,
  };
}

/** `<source>.late` receives every late event, so nothing late is dropped in silence. */
export function lateTopic(spec: { source: { topic: string } }): string {
  return `${spec.source.topic}.late`;
}
