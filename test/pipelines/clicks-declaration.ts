/**
 * A second pipeline declared outside src/: "clicks" ({type, ts}) counted in 2-second tumbling
 * windows, with a lake table, a generator and no routes of its own. The default export is what
 * env STREAMREC_PIPELINES_MODULE loads into the CLI; tests register it with registerPipeline.
 * It must not import the registry (which may be loading it).
 */
import { z } from 'zod';
import { count, groupBy, record } from '../../src/engine/aggregates/index.js';
import type { PipelineSpec } from '../../src/engine/pipeline.js';
import { tumbling } from '../../src/engine/windows.js';
import { jsonCodec } from '../../src/events/codec.js';
import { LakeSink } from '../../src/lake/lake-sink.js';
import type { LakeTable } from '../../src/lake/lake-table.js';
import type { LogRecord } from '../../src/log/types.js';
import { runPaced } from '../../src/pipelines/paced-producer.js';
import type { PipelineDeclaration } from '../../src/pipelines/pipeline-declaration.js';
import { resultEnvelopeSchema } from '../../src/pipelines/pipeline-result.js';
import { resultEnvelope } from '../../src/pipelines/result-envelope.js';
import { Random } from '../../src/util/random.js';

export const Click = z.object({ type: z.enum(['cheer', 'hate']), ts: z.number().int() });
export type Click = z.infer<typeof Click>;
export const clickCodec = jsonCodec('click', Click);

/** The one definition of a result record. */
export const clicksResultSchema = resultEnvelopeSchema.extend({ cheers: z.number().int(), hate: z.number().int() });
export type ClicksResult = z.infer<typeof clicksResultSchema>;

const aggregate = record({ total: count(), byType: groupBy((c: Click) => c.type, count()) });

type BinRow = Pick<ClicksResult, 'window_start' | 'window_end' | 'window_type' | 'count' | 'cheers' | 'hate'>;

export const clicksBinsTable: LakeTable<BinRow> = {
  path: 'clicks/bins',
  columns: [
    { name: 'window_start', type: 'VARCHAR', get: (r) => r.window_start },
    { name: 'window_end', type: 'VARCHAR', get: (r) => r.window_end },
    { name: 'count', type: 'BIGINT', get: (r) => r.count },
    { name: 'cheers', type: 'BIGINT', get: (r) => r.cheers },
    { name: 'hate', type: 'BIGINT', get: (r) => r.hate },
  ],
  partitionBy: [{ name: 'window_type', get: (r) => r.window_type }],
};

function decodeFinal(r: LogRecord): BinRow | null {
  const parsed = clicksResultSchema.safeParse(JSON.parse(typeof r.value === 'string' ? r.value : new TextDecoder().decode(r.value)));
  return parsed.success && parsed.data.final ? parsed.data : null;
}

const clicksDeclaration: PipelineDeclaration<ClicksResult> = {
  name: 'clicks',
  sourceTopic: 'clicks',
  outputTopic: 'clicks.bins',
  windows: ['bins_2s'],
  result: clicksResultSchema,
  runInUp: false,
  open: async (ctx): Promise<PipelineSpec<Click, Click, unknown, ReturnType<typeof aggregate.result>>> => ({
    name: 'clicks',
    source: { topic: 'clicks', codec: clickCodec },
    eventTime: (c) => c.ts,
    enrich: (c) => c,
    windows: [tumbling('bins_2s', 2000)],
    aggregate,
    outOfOrdernessMs: ctx.outOfOrdernessMs ?? 1000,
    idleTimeoutMs: ctx.idleTimeoutMs ?? 200,
    emitIntervalMs: 1000,
    stateVersion: 1,
    output: {
      topic: 'clicks.bins',
      format: (r, c): ClicksResult => ({ ...resultEnvelope(c, r.total), cheers: r.byType.cheer ?? 0, hate: r.byType.hate ?? 0 }),
    },
  }),
  lake: {
    views: { clicks_bins: clicksBinsTable as LakeTable<never> },
    sinks: ({ log, dataDir }) => [new LakeSink({ log, dataDir, topic: 'clicks.bins', group: 'lake-clicks-bins', table: clicksBinsTable, decode: decodeFinal })],
  },
  generator: {
    description: 'cheers and hate clicks',
    noun: 'clicks',
    options: (command, parse) => command.option('--hate-share <f>', 'share of hate clicks', parse.fraction, 0.25),
    async run(flags, paced, ctx) {
      const random = new Random(paced.seed);
      await ctx.log.ensureTopic('clicks', { partitions: 2 });
      ctx.onStart?.('');
      return runPaced({
        producer: ctx.log.producer(),
        topic: 'clicks',
        next: (ts) => {
          const click: Click = { type: random.next() < (flags.hateShare as number) ? 'hate' : 'cheer', ts: Math.round(ts) };
          return { key: click.type, value: clickCodec.encode(click), timestamp: click.ts };
        },
        rate: paced.rate,
        count: paced.count,
        durationMs: paced.durationMs,
        backfill: paced.backfill,
        signal: ctx.signal,
        onProgress: ctx.onProgress,
      });
    },
  },
};

export default clicksDeclaration;
