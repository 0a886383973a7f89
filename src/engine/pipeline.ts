import type { EventCodec } from '../events/codec.js';
import type { ProducerRecord } from '../log/types.js';
import type { Aggregate } from './aggregate.js';
import type { WindowResult } from './window-operator.js';
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

/** A topic a pipeline reads, and how its records decode. */
export interface SourceTopic<E> {
  topic: string;
  codec: EventCodec<E>;
}

/**
 * What a pipeline reads: one topic, or several (commerce: one a kind of event) whose partitions
 * the engine merges into one stream by event time, ties broken by the order of `topics` and then
 * by partition. A late event goes to its own topic's `<topic>.late`, a rejected record to its
 * `<topic>.dlq`.
 */
export type PipelineSource<E> = SourceTopic<E> | { topics: readonly [SourceTopic<E>, ...SourceTopic<E>[]] };

/** The topics of a source, in merge order. */
export function sourceTopics<E>(source: PipelineSource<E>): readonly SourceTopic<E>[] {
  return 'topics' in source ? source.topics : [source];
}

/**
 * A streaming pipeline, declared as data plus small functions (the engine knows nothing about
 * what the events mean): read the source topic(s), take each event's event time, optionally
 * enrich it from a dimension table, aggregate it in every window of `windows`, and write one
 * record per window result to `output.topic`.
 */
export interface PipelineSpec<E, X, S, R> {
  name: string;
  source: PipelineSource<E>;
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
    // One topic stays a string, as every checkpoint of a single-topic pipeline has it.
    source: 'topics' in spec.source ? spec.source.topics.map((t) => t.topic) : spec.source.topic,
    output: spec.output.topic,
    windows: spec.windows.map((w) => `${w.name}:${w.sizeMs}/${w.slideMs}`),
    // The key keeps its first name: checkpoints written before the rename must still match.
    allowedLatenessMs: spec.outOfOrdernessMs,
    stateVersion: spec.stateVersion,
  };
}

/** `<source topic>.late` receives every late event read from that topic, so nothing late is dropped in silence. */
export function lateTopic(sourceTopic: string): string {
  return `${sourceTopic}.late`;
}

/** The output record of a window result, as every runner writes it (key: the window's name). */
export function resultRecord<R>(spec: PipelineSpec<unknown, unknown, unknown, R>, r: WindowResult<R>, emittedAt: number): ProducerRecord {
  const watermark = Number.isFinite(r.watermark) ? r.watermark : null;
  const maxEventTime = Number.isFinite(r.maxEventTime) ? r.maxEventTime : null;
  const value = spec.output.format(r.result, { window: r.window, final: r.final, lateEvents: r.lateEvents, emittedAt, watermark, maxEventTime });
  return { key: r.window.spec.name, value: JSON.stringify(value), timestamp: r.window.end };
}
