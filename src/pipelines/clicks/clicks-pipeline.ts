import { z } from 'zod';
import { count, groupBy, record } from '../../engine/aggregates/index.js';
import type { PipelineSpec } from '../../engine/pipeline.js';
import { tumbling } from '../../engine/windows.js';
import { resultEnvelopeSchema } from '../pipeline-result.js';
import { resultEnvelope } from '../result-envelope.js';
import { CLICKS_BINS_TOPIC, CLICKS_TOPIC, clickCodec, type Click } from './click-event.js';

export const BINS_WINDOW = 'bins_2s';
export const BIN_MS = 2000;

/** The one definition of a `clicks.bins` record: the envelope plus cheers and hate. */
export const clicksResultSchema = resultEnvelopeSchema.extend({
  cheers: z.number().int().nonnegative(),
  hate: z.number().int().nonnegative(),
});
export type ClicksResult = z.infer<typeof clicksResultSchema>;

const aggregate = record({ total: count(), byType: groupBy((c: Click) => c.type, count()) });
export type ClicksWindowResult = ReturnType<typeof aggregate.result>;

export interface ClicksPipelineOptions {
  outOfOrdernessMs?: number;
  idleTimeoutMs?: number;
}

/**
 * Clicks counted in 2-second tumbling event-time bins, cheers and hate apart. The server stamps
 * each click as it takes it, so event time is about append time: 1 s of out-of-orderness covers
 * several writers (the server, a generator). When the clicking stops, the idle timeout (2.5 s)
 * lets the watermark move up to the wall clock minus that 1 s (never past the newest bin), so the
 * last bins close about 3 s after the last click; a click arriving later is stamped later still
 * and falls in a bin that is still open, so an idle close makes no click late (a click that is late
 * anyway goes to `clicks.late` and still
 * counts in the totals). Updates and commits every 100 ms keep the page's delay low.
 */
export function clicksPipeline(options: ClicksPipelineOptions = {}): PipelineSpec<Click, Click, unknown, ClicksWindowResult> {
  return {
    name: 'clicks',
    source: { topic: CLICKS_TOPIC, codec: clickCodec },
    eventTime: (c) => c.ts,
    enrich: (c) => c,
    windows: [tumbling(BINS_WINDOW, BIN_MS)],
    aggregate,
    outOfOrdernessMs: options.outOfOrdernessMs ?? 1000,
    idleTimeoutMs: options.idleTimeoutMs ?? 2500,
    emitIntervalMs: 100,
    checkpointIntervalMs: 100,
    stateVersion: 1,
    output: {
      topic: CLICKS_BINS_TOPIC,
      format: (r, ctx): ClicksResult => ({ ...resultEnvelope(ctx, r.total), cheers: r.byType.cheers ?? 0, hate: r.byType.hate ?? 0 }),
    },
  };
}
