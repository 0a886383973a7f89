import type { ResultContext } from '../engine/pipeline.js';
import type { ResultEnvelope } from './pipeline-result.js';

/** The envelope fields of a result record, from the engine's result context (for `format`). */
export function resultEnvelope(ctx: ResultContext, count: number): ResultEnvelope {
  return {
    window_start: new Date(ctx.window.start).toISOString(),
    window_end: new Date(ctx.window.end).toISOString(),
    window_type: ctx.window.spec.name,
    count,
    late_events: ctx.lateEvents,
    final: ctx.final,
    processing_time: new Date(ctx.emittedAt).toISOString(),
    watermark: ctx.watermark === null ? null : new Date(ctx.watermark).toISOString(),
    max_event_time: ctx.maxEventTime === null ? null : new Date(ctx.maxEventTime).toISOString(),
  };
}
