/**
 * What every pipeline's output record starts with, and the generic health of a pipeline: the
 * parts the server's generic view and routes read. Only zod here, so the dashboard's type check
 * (web/, no Node types) can follow the imports.
 */
import { z } from 'zod';

/** An ISO-8601 time string (what the lake partitions and the views order by). */
export const isoTimeSchema = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO-8601 time' });

/** The fields every result record carries, whatever the pipeline computes. */
export const resultEnvelopeSchema = z.object({
  window_start: isoTimeSchema,
  window_end: isoTimeSchema,
  /** The window spec's name (a path segment in the lake, hence the character set). */
  window_type: z.string().regex(/^[A-Za-z0-9_-]+$/),
  /** Events in the window. */
  count: z.number().int().nonnegative(),
  /**
   * On a final result: the windows of this type that events missed (they arrived after those
   * windows' final results) since the previous final of the type; see engine/window-operator.ts.
   */
  late_events: z.number().int().nonnegative(),
  final: z.boolean(),
  processing_time: z.string(),
  /** The pipeline's watermark and newest event time when the result was emitted (ISO), if known. */
  watermark: z.string().nullable().optional(),
  max_event_time: z.string().nullable().optional(),
});

export type ResultEnvelope = z.infer<typeof resultEnvelopeSchema>;

/** `GET /pipelines/<name>/health`. */
export interface PipelineHealth {
  status: 'ok' | 'idle' | 'no_data';
  last_event_time: string | null;
  watermark: string | null;
  /** Processing time minus the watermark, seconds. */
  watermark_delay_seconds: number | null;
  /** The pipeline's allowed lateness (newest event time − watermark), seconds: the delay to expect. */
  allowed_lateness_seconds: number | null;
  /** Source events the pipeline has processed (its committed offsets). */
  events_processed: number;
  /** Source events not yet processed. */
  consumer_lag: number;
  /** Events processed per second (last few seconds). */
  events_per_second: number;
  /** Events in `<source>.late` (late for at least one window), counted as the processor commits them. */
  late_events_total: number;
  dead_letters_total: number;
  results_received: number;
  sse_clients: number;
  uptime_seconds: number;
}

/** `GET /pipelines/<name>/summary`: the latest result of each window name. */
export interface PipelineSummary<R extends ResultEnvelope = ResultEnvelope> {
  pipeline: string;
  windows: Record<string, R | null>;
  /** Events counted in final windows of the first window name since the server started following. */
  events_total: number;
}

/** `GET /pipelines/<name>/history`. */
export interface PipelineHistory<R extends ResultEnvelope = ResultEnvelope> {
  window: string;
  /** Final results, oldest first. */
  items: R[];
}

/** What `GET /pipelines/<name>/stream` sends at once (event `snapshot`); then `result` and `health` events. */
export interface PipelineSnapshot<R extends ResultEnvelope = ResultEnvelope> {
  summary: PipelineSummary<R> | null;
  health: PipelineHealth;
  /** The newest result of each recent window of the first window name, oldest first, open ones too. */
  history: R[];
}
